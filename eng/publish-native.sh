#!/usr/bin/env bash
# eng/publish-native.sh — builds Baton's product: the native (Native AOT) executable for linux-x64.
#
# Interface (stable; packaging, CI, the tests and bench/ call it):
#
#   eng/publish-native.sh [--output DIR] [--force] [--quiet] [-- EXTRA_PUBLISH_ARGS...]
#
#   --output DIR   where the executable goes (default: <repo>/artifacts/native); the file is DIR/baton.
#                  Also settable as BATON_NATIVE_OUTPUT=DIR.
#   --force        publish even if DIR/baton is newer than every input.
#   --quiet        no build output unless it fails.
#   -- ARGS        passed to `dotnet publish` as they are (e.g. -p:IlcInstructionSet=native); implies --force.
#
#   The last line on stdout is the absolute path of the executable (DIR/baton). Exit 0 on success,
#   non-zero if a prerequisite cannot be installed or the publish fails (its output is printed).
#
# What it does:
#   1. Installs what the native toolchain needs and is missing — clang (the linker driver) and
#      zlib1g-dev — with apt-get (sudo when not root). Skipped when present, so it is idempotent.
#   2. Skips the publish when DIR/baton is newer than every source, project and props file.
#   3. Otherwise `dotnet publish src/Baton -c Release -r linux-x64` (PublishAot is set in
#      src/Baton/Baton.csproj; warnings are errors, so a trim or AOT warning fails it) in its own
#      obj/bin folders (artifacts/obj-native, -p:BatonNative=true), so it never races a normal build.
#   The result is one self-contained file: no .NET runtime is needed where it runs.
#   A lock (DIR/.publish.lock) serializes concurrent calls for the same DIR.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${BATON_NATIVE_OUTPUT:-$repo/artifacts/native}"
force=0
quiet=0
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --output) out="$2"; shift 2 ;;
    --force) force=1; shift ;;
    --quiet) quiet=1; shift ;;
    --) shift; extra=("$@"); force=1; break ;;
    -h|--help) sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "publish-native.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
out="$(cd "$out" && pwd)"
exe="$out/baton"

log() { [ "$quiet" = 1 ] || echo "publish-native: $*" >&2; }

# 1. Prerequisites of the native linker step.
missing=()
command -v clang >/dev/null 2>&1 || missing+=(clang)
[ -e /usr/include/zlib.h ] || missing+=(zlib1g-dev)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  log "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  # One update only if the package lists are absent or the install fails with stale lists.
  if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/baton-apt.$$.log 2>&1; then
    "${sudo[@]}" apt-get update -qq >>/tmp/baton-apt.$$.log 2>&1
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/baton-apt.$$.log 2>&1 \
      || { cat /tmp/baton-apt.$$.log >&2; rm -f /tmp/baton-apt.$$.log; echo "publish-native.sh: could not install ${missing[*]}" >&2; exit 1; }
  fi
  rm -f /tmp/baton-apt.$$.log
fi

exec 9>"$out/.publish.lock"
flock 9

# 2. Up to date?
inputs=("$repo/src" "$repo/Directory.Build.props" "$repo/Directory.Packages.props" "${BASH_SOURCE[0]}")
if [ "$force" = 0 ] && [ -x "$exe" ] \
   && [ -z "$(find "${inputs[@]}" -newer "$exe" \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.targets' -o -name '*.json' -o -name '*.sh' \) -not -path '*/obj/*' -not -path '*/bin/*' -print -quit)" ]; then
  log "up to date: $exe"
  echo "$exe"
  exit 0
fi

# 3. Publish.
log "publishing to $exe"
started=$(date +%s)
publog="$out/.publish.log"
if ! dotnet publish "$repo/src/Baton/Baton.csproj" -c Release -r linux-x64 -p:BatonNative=true \
     -o "$out" -nologo -clp:NoSummary "${extra[@]}" >"$publog" 2>&1; then
  cat "$publog" >&2
  echo "publish-native.sh: dotnet publish failed (log above)" >&2
  exit 1
fi
[ "$quiet" = 1 ] || cat "$publog" >&2
# Only the executable is the product; the debug symbols stay beside it (baton.dbg) for profiling.
touch "$exe"
log "done in $(( $(date +%s) - started )) s: $(du -h "$exe" | cut -f1) $exe"
echo "$exe"
