#!/usr/bin/env bash
# eng/release.sh — builds what an operator installs, from the native executable:
#
#   artifacts/release/baton-<version>-linux-x64.tar.gz   binary, default config, systemd units, docs
#   artifacts/release/baton_<version>_amd64.deb          /usr/bin/baton, /etc/baton/baton.json (a conffile),
#                                                        the units, the baton system user (postinst)
#
#   eng/release.sh [--output DIR] [--binary PATH]
#
#   --output DIR    where the two files go (default: <repo>/artifacts/release)
#   --binary PATH   package this native executable instead of publishing one (it must be the
#                   product of eng/publish-native.sh; tests pass the one they already built)
#
#   <version> is src/Baton/Baton.csproj's <Version>. The last two lines on stdout are the absolute
#   paths of the tarball and the .deb. Exit 0 on success; non-zero with the reason otherwise.
#   Needs tar, gzip and dpkg-deb (Debian's dpkg; installed with apt-get when missing).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$repo/artifacts/release"
binary=""
while [ $# -gt 0 ]; do
  case "$1" in
    --output) out="$2"; shift 2 ;;
    --binary) binary="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "release.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

log() { echo "release: $*" >&2; }

# 1. The product: the native executable (one publish path: eng/publish-native.sh).
if [ -z "$binary" ]; then
  binary="$("$repo/eng/publish-native.sh" --quiet | tail -n1)"
fi
[ -x "$binary" ] || { echo "release.sh: '$binary' is not an executable" >&2; exit 1; }
if ! command -v dpkg-deb >/dev/null 2>&1; then
  sudo=(); [ "$(id -u)" = 0 ] || sudo=(sudo)
  log "installing dpkg (apt-get)"
  "${sudo[@]}" apt-get install -y -qq dpkg >/dev/null
fi

version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/src/Baton/Baton.csproj" | head -n1)"
[ -n "$version" ] || { echo "release.sh: no <Version> in src/Baton/Baton.csproj" >&2; exit 1; }
mkdir -p "$out"
out="$(cd "$out" && pwd)"
stage="$(mktemp -d "${TMPDIR:-/tmp}/baton-release.XXXXXX")"
trap 'rm -rf "$stage"' EXIT

# 2. The tarball: one top directory, the layout of an install by hand (docs/installation.md).
name="baton-$version-linux-x64"
top="$stage/$name"
mkdir -p "$top/systemd" "$top/docs"
install -m 0755 "$binary" "$top/baton"
install -m 0644 "$repo/deploy/baton.json" "$top/baton.json"
install -m 0644 "$repo/deploy/systemd/baton.service" "$repo/deploy/systemd/baton.socket" "$top/systemd/"
(cd "$repo" && install -m 0644 README.md "$top/" && install -m 0644 docs/*.md "$top/docs/")
tarball="$out/$name.tar.gz"
tar -C "$stage" --owner=0 --group=0 --numeric-owner --sort=name -czf "$tarball" "$name"
log "built $tarball"

# 3. The .deb.
root="$stage/deb"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/etc/baton" "$root/usr/lib/systemd/system" "$root/usr/share/doc/baton/docs"
install -m 0755 "$binary" "$root/usr/bin/baton"
install -m 0644 "$repo/deploy/baton.json" "$root/etc/baton/baton.json"
install -m 0644 "$repo/deploy/systemd/baton.service" "$repo/deploy/systemd/baton.socket" "$root/usr/lib/systemd/system/"
(cd "$repo" && install -m 0644 README.md "$root/usr/share/doc/baton/" && install -m 0644 docs/*.md "$root/usr/share/doc/baton/docs/")
install -m 0755 "$repo/deploy/debian/postinst" "$repo/deploy/debian/prerm" "$repo/deploy/debian/postrm" "$root/DEBIAN/"
echo /etc/baton/baton.json >"$root/DEBIAN/conffiles"
size="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" "$repo/deploy/debian/control.in" >"$root/DEBIAN/control"
deb="$out/baton_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zgzip --build "$root" "$deb" >/dev/null
log "built $deb"

echo "$tarball"
echo "$deb"
