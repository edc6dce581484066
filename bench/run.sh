#!/usr/bin/env bash
# bench/run.sh - Baton against nginx, HAProxy, plain YARP and the upstream itself, in one run.
#
#   bench/run.sh            full run (3 interleaved rounds, 20 restarts, tuning experiments; ~60-70 min)
#   bench/run.sh --quick    1 round, short runs, 5 restarts, no tuning (about 8 min)
#   bench/run.sh --help     every option
#
# Installs what it needs from Debian packages (nginx, haproxy, wrk, nghttp2-client, hey), publishes
# Baton (the native executable, eng/publish-native.sh, and the JIT build side by side) and
# bench/PlainYarp from a snapshot of the work tree, pins every proxy to one core with one
# worker and the load generator + upstream to the other, and writes bench/RESULTS.md.
# Everything binds to 127.0.0.1. Every process it starts is killed on exit.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
OUT=$BENCH_DIR/out
RUN=$OUT/run
RESULTS=$OUT/results.tsv
NOTES=$OUT/notes.tsv
COMMANDS=$OUT/commands.txt
LIB="python3 $BENCH_DIR/tools/benchlib.py"

# ---- settings (flags below override) ----------------------------------------------------------
MODE=full
ROUNDS=3            # interleaved rounds of the throughput/latency/memory/during-restart tests
DUR=5               # seconds measured per throughput run
WARM=2              # seconds of warm-up before each throughput run (not counted)
DOTNET_WARM=80      # at most this many seconds of load to bring a fresh .NET process to steady state
DOTNET_WARM_MIN=10  # ... and at least this many (Baton: CallCountingDelayMs=0 in its runtimeconfig)
YARP_WARM_MIN=40    # plain YARP with default tiering plateaus at tier-0 speed for 30-40 s
RESTARTS=20         # restarts/reloads/upgrades per target in the loss test
RESTART_GAP=1       # seconds between restarts
DURING_WINDOW=5     # seconds of the steady and the during-restart windows
MEM_CONNS=5000      # idle keep-alive connections held in the memory test
MEM_SETTLE=7        # seconds of rest before each memory reading (Baton gives memory back 5.0–5.5 s after its last request)
TUNING=1            # Baton tuning experiments (env vars, ReadyToRun, cold start)
TUNING_ROUNDS=2
TUNING_WARM=12
TUNING_DUR=4
ACCESSLOG_ROUNDS=3  # interleaved rounds of the access-log cost (on as JSON, on as text, off)
COLD_WINDOW=15
COLD_REPEATS=3      # cold starts of the native build (first second / warm is the median)
WINDOW_RATE=8000    # offered req/s of the upgrade-window test (hey -c50 -q160: 50 workers x 160 req/s)
WINDOW_S=10         # seconds of each window; the restart is triggered WINDOW_AT s in
WINDOW_AT=3
IDLE_UPGRADES=7     # upgrades without load, for the idle upgrade time
BATON_TRIGGER=http  # http = POST /upgrade on the admin listener (what `baton upgrade` sends); sigquit
SKIP_BUILD=0
NATIVE_EXE=""       # --native-exe: use this native executable instead of publishing one from the snapshot
NATIVE_VARIANTS=0   # --native-variants: also build the native tuning variants (Speed, x86-64-v3, Kestrel inline)
SKIP_INSTALL=0
ONLY=""             # comma list of sections: throughput,latency,memory,during,restart,window,idleupgrade,accesslog,tuning
PORT_BASE=${BENCH_PORT_BASE:-21000}
LOADGEN_CPU=${BENCH_LOADGEN_CPU:-0}
PROXY_CPU=${BENCH_PROXY_CPU:-1}
LAT_LEVELS="5000:50:10"   # offered req/s : connections : per-connection delay ms (space separated list)

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
  cat <<EOF
Options:
  --quick               1 round, 3 s runs, 5 restarts, no tuning experiments
  --rounds N            interleaved rounds (default $ROUNDS)
  --duration S          seconds per throughput run (default $DUR)
  --restarts N          restarts per target in the loss test (default $RESTARTS)
  --restart-gap S       seconds between restarts (default $RESTART_GAP)
  --tuning / --no-tuning  run the Baton tuning experiments (default: on in full mode)
  --baton-trigger http|sigquit  how Baton upgrades are triggered (default http = POST /upgrade)
  --latency-levels "R:C:D ..."  fixed-rate latency levels: offered req/s, connections, pause ms
                        (default "$LAT_LEVELS"; e.g. "5000:50:10 15000:75:5")
  --only LIST           only these sections: throughput,latency,memory,during,restart,window,idleupgrade,accesslog,tuning
  --skip-build          reuse the builds in bench/out/
  --native-exe PATH     measure this native executable (e.g. artifacts/native/baton) instead of publishing one
  --native-variants     also build and measure the native tuning variants (OptimizationPreference=Speed,
                        IlcInstructionSet=x86-64-v3, Kestrel UnsafePreferInlineScheduling): a native build each
  --skip-install        do not check Debian packages
  --upstreams [OPTS]    instead: upstream rolling restarts + retry CPU cost (bench/upstreams.sh OPTS)
Environment: BENCH_PORT_BASE (default 21000), BENCH_LOADGEN_CPU (0), BENCH_PROXY_CPU (1).
EOF
}

ORIG_ARGS="$*"
while [ $# -gt 0 ]; do
  case "$1" in
    --upstreams) shift; exec "$BENCH_DIR/upstreams.sh" "$@" ;;  # issue 13: upstream rolling restarts
    --quick) MODE=quick; ROUNDS=1; DUR=3; WARM=1; DOTNET_WARM=40; DOTNET_WARM_MIN=6; YARP_WARM_MIN=30; RESTARTS=5; DURING_WINDOW=3; TUNING=0; IDLE_UPGRADES=3 ;;
    --latency-levels) LAT_LEVELS=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --duration) DUR=$2; shift ;;
    --restarts) RESTARTS=$2; shift ;;
    --restart-gap) RESTART_GAP=$2; shift ;;
    --tuning) TUNING=1 ;;
    --no-tuning) TUNING=0 ;;
    --baton-trigger) BATON_TRIGGER=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --skip-build) SKIP_BUILD=1 ;;
    --native-exe) NATIVE_EXE=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift ;;
    --native-variants) NATIVE_VARIANTS=1 ;;
    --skip-install) SKIP_INSTALL=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# ---- ports (all on 127.0.0.1) ------------------------------------------------------------------
ORIGIN_PORT=$PORT_BASE                 # the upstream every proxy forwards to (core $LOADGEN_CPU)
declare -A H1_PORT=([direct]=$((PORT_BASE + 1)) [nginx]=$((PORT_BASE + 10)) [haproxy]=$((PORT_BASE + 20))
                    [yarp]=$((PORT_BASE + 30)) [baton]=$((PORT_BASE + 40)) [batonjit]=$((PORT_BASE + 50)))
declare -A H2_PORT=([direct]=$((PORT_BASE + 2)) [nginx]=$((PORT_BASE + 11)) [haproxy]=$((PORT_BASE + 21))
                    [yarp]=$((PORT_BASE + 31)) [baton]=$((PORT_BASE + 41)) [batonjit]=$((PORT_BASE + 51)))
declare -A ADMIN_PORT=([baton]=$((PORT_BASE + 42)) [batonjit]=$((PORT_BASE + 52)))
BATON_ADMIN_PORT=${ADMIN_PORT[baton]}
# baton = the product, the native executable; batonjit = the same source as a JIT build (ReadyToRun).
TARGETS=(nginx haproxy yarp baton batonjit direct)
PROXIES=(nginx haproxy yarp baton batonjit)
is_baton() { [ "$1" = baton ] || [ "$1" = batonjit ]; }

# ---- process bookkeeping -------------------------------------------------------------------------
declare -A PID=()     # target -> its current main process (a process-group leader, via setsid)
GROUPS_STARTED=()     # every process group this script created (servers)
CLIENTS=()            # every load-generator/helper process this script started
BATON_PIDS=()         # Baton processes started by upgrades (in case they leave the process group)
POLICY_RC_CREATED=0

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now_ms() { date +%s%3N; }
want() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }

cleanup() {
  set +e
  local p g
  for p in "${CLIENTS[@]}"; do kill "$p" 2>/dev/null; done
  for g in "${GROUPS_STARTED[@]}"; do kill -TERM -- "-$g" 2>/dev/null; done
  for p in "${BATON_PIDS[@]}"; do
    grep -qa baton "/proc/$p/cmdline" 2>/dev/null && kill -TERM "$p" 2>/dev/null
  done
  sleep 0.5
  for g in "${GROUPS_STARTED[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
  for p in "${BATON_PIDS[@]}"; do
    grep -qa baton "/proc/$p/cmdline" 2>/dev/null && kill -KILL "$p" 2>/dev/null
  done
  if [ "$POLICY_RC_CREATED" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts "$@" in its own session (so it and any child it spawns share one process group that
# cleanup can kill), pinned to CPU $2, output to $1. Sets STARTED_PID.
# A shell without job control starts background commands with SIGINT and SIGQUIT ignored, and an
# ignored signal stays ignored across exec: RESET_SIGNALS restores the defaults first, so that
# SIGQUIT (Baton's upgrade signal) reaches the servers.
RESET_SIGNALS='import os, signal, sys
for s in (signal.SIGINT, signal.SIGQUIT):
    signal.signal(s, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])'
start_group() {
  local logfile=$1 cpu=$2; shift 2
  setsid taskset -c "$cpu" python3 -c "$RESET_SIGNALS" "$@" >>"$logfile" 2>&1 </dev/null &
  STARTED_PID=$!
  GROUPS_STARTED+=("$STARTED_PID")
}

# Starts a client (load generator, helper) on the load-generator core. Sets CLIENT_PID.
start_client() {
  local logfile=$1; shift
  taskset -c "$LOADGEN_CPU" "$@" >"$logfile" 2>&1 </dev/null &
  CLIENT_PID=$!
  CLIENTS+=("$CLIENT_PID")
}

# Records one result row: section test target round metric value
rec() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }
note() { printf '%s\t%s\n' "$1" "$2" >>"$NOTES"; }
# Records a command line (once per description) for RESULTS.md.
note_cmd() { grep -qxF -- "$1: $2" "$COMMANDS" 2>/dev/null || printf '%s: %s\n' "$1" "$2" >>"$COMMANDS"; }

wait_http() { # URL TIMEOUT_S -> 0 when a 200 came back
  local url=$1 deadline=$(( $(now_ms) + $2 * 1000 ))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    if curl -sf -o /dev/null --max-time 1 "$url"; then return 0; fi
    sleep 0.01
  done
  return 1
}

wait_gone() { # PID TIMEOUT_S
  local deadline=$(( $(now_ms) + $2 * 1000 ))
  while kill -0 "$1" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do
    # a zombie counts as gone
    [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ] && return 0
    sleep 0.005
  done
  ! kill -0 "$1" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# user+sys clock ticks of every process in a process group
group_ticks() {
  local g=$1 total=0 pid t
  for pid in $(pgrep -g "$g" 2>/dev/null); do
    t=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}

group_rss_kb() {
  local g=$1 total=0 pid r
  for pid in $(pgrep -g "$g" 2>/dev/null); do
    r=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || r=0
    total=$((total + ${r:-0}))
  done
  echo "$total"
}

core_stat() { awk -v c="cpu$1" '$1 == c { idle = $5 + $6; tot = 0; for (i = 2; i <= NF; i++) tot += $i; print tot, idle }' /proc/stat; }
core_busy_pct() { # "tot0 idle0" "tot1 idle1" -> busy %
  local a=($1) b=($2)
  awk -v t="$(( b[0] - a[0] ))" -v i="$(( b[1] - a[1] ))" 'BEGIN { if (t > 0) printf "%.1f", 100 * (t - i) / t; else print 0 }'
}

field() { awk -v k="$1" '$1 == k { print $2 }'; }  # picks "key value" from benchlib parse output

# ---- installation ---------------------------------------------------------------------------------
install_tools() {
  local missing=()
  command -v nginx >/dev/null || missing+=(nginx)
  command -v haproxy >/dev/null || missing+=(haproxy)
  command -v wrk >/dev/null || missing+=(wrk)
  command -v h2load >/dev/null || missing+=(nghttp2-client)
  command -v python3 >/dev/null || missing+=(python3)
  command -v curl >/dev/null || missing+=(curl)
  command -v pgrep >/dev/null || missing+=(procps)
  command -v taskset >/dev/null || missing+=(util-linux)
  command -v ss >/dev/null || missing+=(iproute2)
  command -v hey >/dev/null || missing+=(hey)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    # Keep the packages' own services (nginx on :80, haproxy) from starting.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && POLICY_RC_CREATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is required to build Baton"
}

# ---- build -----------------------------------------------------------------------------------------
build() {
  local snap=$OUT/src-snapshot
  log "publishing Baton and PlainYarp (Release) from a snapshot of the work tree"
  rm -rf "$snap" && mkdir -p "$snap/bench"
  # A snapshot keeps the build away from concurrent edits and builds in src/ (shared obj/).
  (cd "$REPO" && tar --exclude=bin --exclude=obj -cf - src eng Directory.Build.props Directory.Packages.props \
      $(ls global.json nuget.config NuGet.config 2>/dev/null)) | tar -xf - -C "$snap"
  (cd "$BENCH_DIR" && tar --exclude=bin --exclude=obj -cf - PlainYarp) | tar -xf - -C "$snap/bench"
  # The product: the native executable, built exactly as shipped (eng/publish-native.sh). The JIT
  # build of the same source beside it: framework-dependent for linux-x64 with ReadyToRun.
  rm -rf "$OUT/baton" "$OUT/batonjit"
  if [ -n "$NATIVE_EXE" ]; then
    mkdir -p "$OUT/baton" && cp "$NATIVE_EXE" "$OUT/baton/baton"
    [ -e "${NATIVE_EXE%/*}/baton.dbg" ] && cp "${NATIVE_EXE%/*}/baton.dbg" "$OUT/baton/"
    note native_exe "$NATIVE_EXE"
  else
    native_publish "$snap" "$OUT/baton" || die "native Baton build failed (see $OUT/build-baton.log)"
  fi
  publish "$snap/src/Baton" "$OUT/batonjit" -r linux-x64 --self-contained false -p:PublishAot=false -p:PublishReadyToRun=true \
    || die "JIT Baton build failed (see $OUT/build-batonjit.log)" 
  rm -rf "$OUT/plainyarp"
  publish "$snap/bench/PlainYarp" "$OUT/plainyarp" || die "PlainYarp build failed (see $OUT/build-plainyarp.log)"
  if [ "$TUNING" = 1 ]; then
    # Variants for the tuning experiments: native builds with one compiler option or one patch,
    # compared with the default native build.
    rm -rf "$OUT"/baton-*
  fi
  if [ "$TUNING" = 1 ] && [ "$NATIVE_VARIANTS" = 1 ]; then
    native_publish "$snap" "$OUT/baton-speed" -p:OptimizationPreference=Speed || log "variant speed: build failed"
    native_publish "$snap" "$OUT/baton-isa" -p:IlcInstructionSet=x86-64-v3 || log "variant isa: build failed"
    patched_build nohostlog src/Baton/Proxy/ProxyHost.cs \
      'skip:AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None)' \
      'logging.AddFilter("Yarp", LogLevel.Warning);' \
      'logging.AddFilter("Yarp", LogLevel.Warning); logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);'
    patched_build kestrelinline src/Baton/Proxy/ProxyHost.cs \
      'skip:UnsafePreferInlineScheduling = true' \
      'o => o.Backlog = AllListeners(settings).Max(l => l.Backlog)' \
      'o => { o.Backlog = AllListeners(settings).Max(l => l.Backlog); o.UnsafePreferInlineScheduling = true; }'
  fi
}

native_publish() { # snapshot outdir [extra publish args]: eng/publish-native.sh of that snapshot
  local snap=$1 out=$2; shift 2
  local logf=$OUT/build-$(basename "$out").log
  if [ $# -gt 0 ]; then
    BATON_NATIVE_OUTPUT=$out bash "$snap/eng/publish-native.sh" --quiet -- "$@" >"$logf" 2>&1
  else
    BATON_NATIVE_OUTPUT=$out bash "$snap/eng/publish-native.sh" --quiet --force >"$logf" 2>&1
  fi
}

publish() { # project outdir [extra args]
  local proj=$1 out=$2; shift 2
  local logf=$OUT/build-$(basename "$out").log
  dotnet publish "$proj" -c Release -o "$out" -nologo -v q "$@" >"$logf" 2>&1
}

# patched_build NAME FILE [skip:TEXT] OLD NEW [OLD NEW ...]: a copy of the snapshot with literal
# (or "re:" regex) replacements, published to $OUT/baton-NAME. A replacement that no longer
# matches the source, or TEXT already present (the change is in src/ now), skips the variant.
patched_build() {
  local name=$1 file=$2; shift 2
  local dir=$OUT/snap-$name
  rm -rf "$dir" && cp -r "$OUT/src-snapshot" "$dir"
  if ! python3 - "$dir/$file" "$@" <<'PY'
import re, sys
path, pairs = sys.argv[1], sys.argv[2:]
text = open(path).read()
if pairs[0].startswith("skip:"):
    if pairs[0][5:] in text:
        sys.exit("already in src/")
    pairs = pairs[1:]
for old, new in zip(pairs[::2], pairs[1::2]):
    if old.startswith("re:"):
        text, n = re.subn(old[3:], new, text)
    else:
        n = text.count(old)
        text = text.replace(old, new)
    if n == 0:
        sys.exit(f"pattern not found: {old}")
open(path, "w").write(text)
PY
  then
    log "variant $name skipped: the source no longer matches its patch (or already has it)"
    return 0
  fi
  native_publish "$dir" "$OUT/baton-$name" || log "variant $name: build failed (see $OUT/build-baton-$name.log)"
}

# ---- configs -----------------------------------------------------------------------------------------
nginx_common() { # prefix dir
  cat <<EOF
pid $1/nginx.pid;
error_log $1/error.log warn;
worker_rlimit_nofile 19000;
events { worker_connections 18000; }
EOF
}
nginx_http_common() {
  cat <<EOF
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $1/tmp_body; proxy_temp_path $1/tmp_proxy; fastcgi_temp_path $1/tmp_fcgi;
    uwsgi_temp_path $1/tmp_uwsgi; scgi_temp_path $1/tmp_scgi;
EOF
}

write_configs() {
  local d
  for d in origin direct nginx haproxy yarp baton; do mkdir -p "$RUN/$d"; done
  # The upstream: 200 "ok". Never closes an idle keep-alive connection first (no reuse races).
  cat >"$RUN/origin/nginx.conf" <<EOF
daemon off; master_process on; worker_processes 1;
$(nginx_common "$RUN/origin")
http {
$(nginx_http_common "$RUN/origin")
    keepalive_timeout 3600s;
    server {
        listen 127.0.0.1:$ORIGIN_PORT backlog=4096;
        location / { default_type text/plain; return 200 "ok"; }
    }
}
EOF
  # The same upstream on the proxy core: what one core does with no proxying at all (the limit).
  cat >"$RUN/direct/nginx.conf" <<EOF
daemon off; master_process on; worker_processes 1;
$(nginx_common "$RUN/direct")
http {
$(nginx_http_common "$RUN/direct")
    keepalive_timeout 3600s;
    server {
        listen 127.0.0.1:${H1_PORT[direct]} backlog=4096;
        listen 127.0.0.1:${H2_PORT[direct]} http2 backlog=4096;
        location / { default_type text/plain; return 200 "ok"; }
    }
}
EOF
  cat >"$RUN/nginx/nginx.conf" <<EOF
daemon off; master_process on; worker_processes 1;
$(nginx_common "$RUN/nginx")
http {
$(nginx_http_common "$RUN/nginx")
    upstream app {
        server 127.0.0.1:$ORIGIN_PORT;
        keepalive 512;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:${H1_PORT[nginx]} backlog=4096;
        listen 127.0.0.1:${H2_PORT[nginx]} http2 backlog=4096;
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
  cat >"$RUN/haproxy/haproxy.cfg" <<EOF
global
    nbthread 1
    maxconn 9000
    stats socket $RUN/haproxy/admin.sock mode 600 level admin expose-fd listeners

defaults
    mode http
    maxconn 9000
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s
    http-reuse always

frontend fe
    bind 127.0.0.1:${H1_PORT[haproxy]} backlog 4096
    bind 127.0.0.1:${H2_PORT[haproxy]} proto h2 backlog 4096
    default_backend be

backend be
    server origin 127.0.0.1:$ORIGIN_PORT
EOF
  local cluster='"ReverseProxy":{"Routes":{"all":{"ClusterId":"app","Match":{"Path":"{**catch-all}"}}},"Clusters":{"app":{"Destinations":{"a":{"Address":"http://127.0.0.1:'$ORIGIN_PORT'/"}}}}}'
  cat >"$RUN/yarp/config.json" <<EOF
{"Logging":{"LogLevel":{"Default":"Warning"}},
 "Kestrel":{"Endpoints":{"h1":{"Url":"http://127.0.0.1:${H1_PORT[yarp]}","Protocols":"Http1"},
                         "h2c":{"Url":"http://127.0.0.1:${H2_PORT[yarp]}","Protocols":"Http2"}}},
 $cluster}
EOF
  baton_config "$RUN/baton/baton.json" "${H1_PORT[baton]}" "${H2_PORT[baton]}" "$BATON_ADMIN_PORT"
  mkdir -p "$RUN/batonjit"
  baton_config "$RUN/batonjit/baton.json" "${H1_PORT[batonjit]}" "${H2_PORT[batonjit]}" "${ADMIN_PORT[batonjit]}"
}

baton_config() { # file public h2c admin
  cat >"$1" <<EOF
{"Baton":{"Listeners":{"public":{"Address":"127.0.0.1:$2","Protocols":"Http1"},
                       "h2c":{"Address":"127.0.0.1:$3","Protocols":"Http2"}},
          "Admin":{"Address":"127.0.0.1:$4"},
          "AccessLog":{"Enabled":false},
          "Lifecycle":{"DrainTimeout":"00:00:10","ShutdownGracePeriod":"00:00:00","EnableZeroDowntime":true}},
 "ReverseProxy":{"Routes":{"all":{"ClusterId":"app","Match":{"Path":"{**catch-all}"}}},
                 "Clusters":{"app":{"Destinations":{"a":{"Address":"http://127.0.0.1:$ORIGIN_PORT/"}}}}}}
EOF
}

# ---- starting and stopping targets -------------------------------------------------------------------
DOTNET_ENV=(DOTNET_PROCESSOR_COUNT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1)

start_target() { # target
  local t=$1 url
  case "$t" in
    origin) start_group "$RUN/origin/stdout.log" "$LOADGEN_CPU" nginx -e "$RUN/origin/error.log" -p "$RUN/origin" -c "$RUN/origin/nginx.conf"
            url=http://127.0.0.1:$ORIGIN_PORT/ ;;
    direct|nginx)
            start_group "$RUN/$t/stdout.log" "$PROXY_CPU" nginx -e "$RUN/$t/error.log" -p "$RUN/$t" -c "$RUN/$t/nginx.conf"
            url=http://127.0.0.1:${H1_PORT[$t]}/ ;;
    haproxy) start_group "$RUN/haproxy/stdout.log" "$PROXY_CPU" haproxy -W -S "$RUN/haproxy/master.sock" -f "$RUN/haproxy/haproxy.cfg"
            url=http://127.0.0.1:${H1_PORT[haproxy]}/ ;;
    yarp)   start_group "$RUN/yarp/stdout.log" "$PROXY_CPU" env "${DOTNET_ENV[@]}" "$OUT/plainyarp/plainyarp" --config "$RUN/yarp/config.json"
            url=http://127.0.0.1:${H1_PORT[yarp]}/ ;;
    baton|batonjit)
            start_group "$RUN/$t/stdout.log" "$PROXY_CPU" env "${DOTNET_ENV[@]}" "$OUT/$t/baton" run --config "$RUN/$t/baton.json" --log-format json
            url=http://127.0.0.1:${H1_PORT[$t]}/ ;;
    *) die "unknown target $t" ;;
  esac
  PID[$t]=$STARTED_PID
  wait_http "$url" 60 || { tail -20 "$RUN/$t/"*.log >&2; die "$t did not start"; }
}

stop_target() { # target: graceful stop of the whole group, then make sure
  local t=$1 g=${PID[$1]:-}
  [ -n "$g" ] || return 0
  kill -TERM -- "-$g" 2>/dev/null || true
  wait_gone "$g" 15 || kill -KILL -- "-$g" 2>/dev/null || true
  # remaining members (old workers, drained generations)
  local i
  for i in $(seq 100); do pgrep -g "$g" >/dev/null || break; sleep 0.05; done
  kill -KILL -- "-$g" 2>/dev/null || true
  wait "$g" 2>/dev/null || true
  unset "PID[$t]"
}

restart_target() { stop_target "$1"; start_target "$1"; }

# Brings a fresh .NET target to steady state: 2 s chunks of wrk -c50 until the CPU cost per
# request of the last three chunks is within 7% of their mean (at least DOTNET_WARM_MIN s, at most
# DOTNET_WARM s), then 3 s of h2load. Logs the curve.
warm_dotnet() { # target
  local t=$1 url="http://127.0.0.1:${H1_PORT[$1]}/" g=${PID[$1]} el=0 k0 k1 n raw=$RUN/raw/warm_$1.txt
  local curve=() min=$DOTNET_WARM_MIN
  [ "$t" = yarp ] && min=$YARP_WARM_MIN
  while [ "$el" -lt "$DOTNET_WARM" ]; do
    k0=$(group_ticks "$g")
    taskset -c "$LOADGEN_CPU" wrk -t1 -c50 -d2s "$url" >"$raw" 2>&1 || true
    k1=$(group_ticks "$g")
    n=$($LIB parse wrk "$raw" | field requests)
    curve+=("$(awk -v k=$((k1 - k0)) -v hz="$TICK_HZ" -v n="$n" 'BEGIN { if (n > 0) printf "%.0f", k / hz * 1e6 / n; else print 0 }')")
    el=$((el + 2))
    if [ "$el" -ge "$min" ] && [ ${#curve[@]} -ge 3 ] && is_steady "${curve[@]: -3}"; then break; fi
  done
  taskset -c "$LOADGEN_CPU" h2load -t1 -c10 -m10 -D 3 "http://127.0.0.1:${H2_PORT[$t]}/" >/dev/null 2>&1 || true
  log "  warmed $t for $el s (CPU us/req per 2 s chunk: ${curve[*]})"
}

is_steady() { awk 'BEGIN { m = 0; for (i = 1; i < ARGC; i++) m += ARGV[i]; m /= (ARGC - 1); if (m <= 0) exit 1;
  for (i = 1; i < ARGC; i++) if (ARGV[i] > 1.07 * m || ARGV[i] < 0.93 * m) exit 1; exit 0 }' "$@"; }

# ---- measurements --------------------------------------------------------------------------------------
# Runs a load command for its duration while accounting the target's CPU and both cores.
# Sets M_TICKS M_BUSY_PROXY M_BUSY_LOADGEN.
measure_cpu() {
  local g=$1; shift
  local t0 t1 p0 p1 l0 l1
  t0=$(group_ticks "$g"); p0=$(core_stat "$PROXY_CPU"); l0=$(core_stat "$LOADGEN_CPU")
  "$@"
  t1=$(group_ticks "$g"); p1=$(core_stat "$PROXY_CPU"); l1=$(core_stat "$LOADGEN_CPU")
  M_TICKS=$((t1 - t0)); M_BUSY_PROXY=$(core_busy_pct "$p0" "$p1"); M_BUSY_LOADGEN=$(core_busy_pct "$l0" "$l1")
}

TICK_HZ=$(getconf CLK_TCK)

record_throughput() { # test target round parsed-file
  local test=$1 t=$2 r=$3 f=$4 rps req err cpu
  rps=$(field rps <"$f"); req=$(field requests <"$f"); err=$(field errors <"$f")
  cpu=$(awk -v k="$M_TICKS" -v hz="$TICK_HZ" -v n="$req" 'BEGIN { if (n > 0) printf "%.2f", k / hz * 1e6 / n; else print "nan" }')
  rec throughput "$test" "$t" "$r" rps "$rps"
  rec throughput "$test" "$t" "$r" errors "$err"
  rec throughput "$test" "$t" "$r" cpu_us_per_req "$cpu"
  rec throughput "$test" "$t" "$r" proxy_core_busy "$M_BUSY_PROXY"
  rec throughput "$test" "$t" "$r" loadgen_core_busy "$M_BUSY_LOADGEN"
  log "  [$r] $test $(printf '%-8s' "$t") $(printf '%9.0f' "$rps") req/s  ${cpu} CPU-us/req  proxy core ${M_BUSY_PROXY}%  loadgen core ${M_BUSY_LOADGEN}%  errors $err"
}

tp_h1() { # target conns round
  local t=$1 c=$2 r=$3 url="http://127.0.0.1:${H1_PORT[$1]}/" raw=$RUN/raw/tp_h1_c$2_$1_$3.txt
  note_cmd "HTTP/1.1 keep-alive -c$c" "taskset -c $LOADGEN_CPU wrk -t1 -c$c -d${WARM}s URL (warm-up, discarded); taskset -c $LOADGEN_CPU wrk -t1 -c$c -d${DUR}s URL"
  taskset -c "$LOADGEN_CPU" wrk -t1 -c"$c" -d"${WARM}s" "$url" >/dev/null 2>&1 || true
  measure_cpu "${PID[$t]}" eval 'taskset -c "$LOADGEN_CPU" wrk -t1 -c"$c" -d"${DUR}s" "$url" >"$raw" 2>&1 || true'
  $LIB parse wrk "$raw" >"$raw.parsed"
  record_throughput "h1_c$c" "$t" "$r" "$raw.parsed"
}

tp_h2() { # target round
  local t=$1 r=$2 url="http://127.0.0.1:${H2_PORT[$1]}/" raw=$RUN/raw/tp_h2c_$1_$2.txt
  note_cmd "h2c (prior knowledge)" "taskset -c $LOADGEN_CPU h2load -t1 -c10 -m10 -D ${WARM} URL (warm-up, discarded); taskset -c $LOADGEN_CPU h2load -t1 -c10 -m10 -D ${DUR} URL"
  taskset -c "$LOADGEN_CPU" h2load -t1 -c10 -m10 -D "${WARM}" "$url" >/dev/null 2>&1 || true
  measure_cpu "${PID[$t]}" eval 'taskset -c "$LOADGEN_CPU" h2load -t1 -c10 -m10 -D "${DUR}" "$url" >"$raw" 2>&1 || true'
  $LIB parse h2load "$raw" >"$raw.parsed"
  record_throughput "h2c_m10" "$t" "$r" "$raw.parsed"
}

latency() { # target rate conns delay round
  local t=$1 rate=$2 c=$3 d=$4 r=$5 url="http://127.0.0.1:${H1_PORT[$1]}/" raw=$RUN/raw/lat_${2}_$1_$5.txt
  note_cmd "latency at ~$rate req/s" "DELAY_MS=$d taskset -c $LOADGEN_CPU wrk -t1 -c$c -d${DUR}s --latency -s bench/tools/paced.lua URL (after 1 s of the same, discarded)"
  DELAY_MS=$d taskset -c "$LOADGEN_CPU" wrk -t1 -c"$c" -d1s -s "$BENCH_DIR/tools/paced.lua" "$url" >/dev/null 2>&1 || true
  DELAY_MS=$d taskset -c "$LOADGEN_CPU" wrk -t1 -c"$c" -d"${DUR}s" --latency -s "$BENCH_DIR/tools/paced.lua" "$url" >"$raw" 2>&1 || true
  $LIB parse wrk "$raw" >"$raw.parsed"
  local rps p50 p99 err
  rps=$(field rps <"$raw.parsed"); p50=$(field p50_ms <"$raw.parsed"); p99=$(field p99_ms <"$raw.parsed"); err=$(field errors <"$raw.parsed")
  rec latency "$rate" "$t" "$r" offered "$rate"
  rec latency "$rate" "$t" "$r" rps "$rps"
  rec latency "$rate" "$t" "$r" p50_ms "$p50"
  rec latency "$rate" "$t" "$r" p99_ms "$p99"
  rec latency "$rate" "$t" "$r" errors "$err"
  log "  [$r] latency@$rate $(printf '%-8s' "$t") achieved $(printf '%.0f' "$rps") req/s  p50 ${p50} ms  p99 ${p99} ms  errors $err"
}

memory() { # target round
  local t=$1 r=$2 raw=$RUN/raw/mem_$1_$2.txt
  restart_target "$t"
  taskset -c "$LOADGEN_CPU" wrk -t1 -c50 -d2s "http://127.0.0.1:${H1_PORT[$t]}/" >/dev/null 2>&1 || true
  sleep "$MEM_SETTLE"
  local idle held n
  idle=$(group_rss_kb "${PID[$t]}")
  note_cmd "memory" "python3 bench/tools/benchlib.py holdconns 127.0.0.1 PORT $MEM_CONNS (on core $LOADGEN_CPU; RSS = sum of VmRSS over the proxy's process group)"
  start_client "$raw" python3 "$BENCH_DIR/tools/benchlib.py" holdconns 127.0.0.1 "${H1_PORT[$t]}" "$MEM_CONNS"
  local hp=$CLIENT_PID i
  for i in $(seq 1200); do grep -q '^held' "$raw" 2>/dev/null && break; kill -0 "$hp" 2>/dev/null || break; sleep 0.1; done
  sleep "$MEM_SETTLE"
  held=$(group_rss_kb "${PID[$t]}")
  n=$(awk '/^held/ {print $2}' "$raw"); n=${n:-0}
  kill "$hp" 2>/dev/null || true; wait "$hp" 2>/dev/null || true
  rec memory "$MEM_CONNS" "$t" "$r" idle_rss_mb "$(awk -v k="$idle" 'BEGIN { printf "%.1f", k / 1024 }')"
  rec memory "$MEM_CONNS" "$t" "$r" held_rss_mb "$(awk -v k="$held" 'BEGIN { printf "%.1f", k / 1024 }')"
  rec memory "$MEM_CONNS" "$t" "$r" held "$n"
  rec memory "$MEM_CONNS" "$t" "$r" per_conn_bytes "$(awk -v a="$idle" -v b="$held" -v n="$n" 'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1024 / n; else print "nan" }')"
  log "  [$r] memory $(printf '%-8s' "$t") idle $((idle / 1024)) MB, holding $n connections $((held / 1024)) MB"
}

# ---- restarts ----------------------------------------------------------------------------------------------
BATON_UPGRADE_OK=""   # "", yes or no
RESTART_SERVE_MS=""

restart_method() {
  case "$1" in
    nginx) echo "nginx -s reload (HUP)" ;;
    haproxy) echo "master-worker reload (kill -USR2 master)" ;;
    yarp) echo "stop (SIGTERM) + start" ;;
    baton|batonjit) if [ "$BATON_TRIGGER" = sigquit ]; then echo "upgrade (SIGQUIT)"; else echo "upgrade (POST /upgrade = baton upgrade)"; fi ;;
  esac
}

# One restart of a target. Sets RESTART_SERVE_MS (trigger -> new generation serving) when observable.
restart_once() { # target [--quiet: Baton's trigger alone, no polling beside it]
  local t=$1 quiet=${2:-} t0
  RESTART_SERVE_MS=""
  case "$t" in
    nginx) nginx -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf" -s reload 2>>"$RUN/nginx/error.log" ;;
    haproxy) kill -USR2 "${PID[haproxy]}" ;;
    yarp)
      t0=$(now_ms)
      stop_target yarp
      start_group "$RUN/yarp/stdout.log" "$PROXY_CPU" env "${DOTNET_ENV[@]}" "$OUT/plainyarp/plainyarp" --config "$RUN/yarp/config.json"
      PID[yarp]=$STARTED_PID
      wait_http "http://127.0.0.1:${H1_PORT[yarp]}/" 60 || die "plain YARP did not come back"
      RESTART_SERVE_MS=$(( $(now_ms) - t0 )) ;;
    baton|batonjit)
      local j
      # On the load generators' core, like every other bench tool: the trigger polls /status and
      # /proc every few ms while the new process starts, and unpinned it took turns on Baton's core.
      # --quiet (the window test): the trigger alone, times from Baton's log.
      j=$(taskset -c "$LOADGEN_CPU" $LIB upgrade "127.0.0.1:${ADMIN_PORT[$t]}" --trigger "$BATON_TRIGGER" --log "$RUN/$t/stdout.log" $quiet)
      echo "$j" >>"$RUN/$t/upgrades.jsonl"
      local np; np=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("new_pid") or "")' "$j")
      [ -n "$np" ] && BATON_PIDS+=("$np")
      RESTART_SERVE_MS=$(python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get("upgrade_ms"); print("" if v is None else round(v,1))' "$j")
      python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1])["ok"] else 1)' "$j" || { log "  baton upgrade failed: $j"; return 1; } ;;
  esac
}

# Is `baton upgrade` there? Tried once without load on a running Baton.
probe_baton_upgrade() {
  [ -n "$BATON_UPGRADE_OK" ] && return 0
  local out rc=0 before after
  before=$(curl -sf "http://127.0.0.1:$BATON_ADMIN_PORT/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])' 2>/dev/null || echo "?")
  out=$(timeout 60 "$OUT/baton/baton" upgrade --admin "127.0.0.1:$BATON_ADMIN_PORT" 2>&1) || rc=$?
  sleep 0.2
  after=$(curl -sf "http://127.0.0.1:$BATON_ADMIN_PORT/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])' 2>/dev/null || echo "?")
  if [ "$rc" = 0 ] && [ "$before" != "$after" ] && [ "$after" != "?" ]; then
    BATON_UPGRADE_OK=yes
    BATON_PIDS+=("$after")
    log "baton upgrade: available (pid $before -> $after); warming the new process"
    warm_dotnet baton
  else
    BATON_UPGRADE_OK=no
    BATON_UPGRADE_WHY="baton upgrade: not available (exit $rc: $(echo "$out" | head -c 160 | tr '\n|' '  '))"
    log "$BATON_UPGRADE_WHY"
    # the probe may have left Baton in any state: start it afresh
    restart_target baton
  fi
}

restart_loss() { # target
  local t=$1 ka=$RUN/raw/restart_ka_$1.txt cl=$RUN/raw/restart_close_$1.txt i url="http://127.0.0.1:${H1_PORT[$1]}/"
  note "restart_method_$t" "$(restart_method "$t")"
  if [ "$t" = baton ]; then
    probe_baton_upgrade
    if [ "$BATON_UPGRADE_OK" != yes ]; then
      note "restart_unavailable_baton" "$BATON_UPGRADE_WHY"
      rec restart loss baton 1 restarts 0
      return 0
    fi
  fi
  note_cmd "restart loss" "taskset -c $LOADGEN_CPU wrk -t1 -c50 -d600s URL & taskset -c $LOADGEN_CPU wrk -t1 -c10 -d600s -H 'Connection: close' URL & (both stopped with SIGINT after the last restart + 1 s); $RESTARTS restarts $RESTART_GAP s apart"
  start_client "$ka" wrk -t1 -c50 -d600s "$url"; local kp=$CLIENT_PID
  start_client "$cl" wrk -t1 -c10 -d600s -H "Connection: close" "$url"; local cp=$CLIENT_PID
  sleep 1
  local done_n=0
  for i in $(seq "$RESTARTS"); do
    if restart_once "$t"; then
      done_n=$((done_n + 1))
      [ -n "$RESTART_SERVE_MS" ] && rec restart loss "$t" "$i" serve_ms "$RESTART_SERVE_MS"
    fi
    if [ "$t" = baton ]; then
      local j; j=$(tail -1 "$RUN/baton/upgrades.jsonl")
      python3 - "$j" "$i" >>"$RESULTS" <<'EOF'
import json, sys
j, i = json.loads(sys.argv[1]), sys.argv[2]
for k in ("upgrade_ms", "reported_ms", "exit_ms", "exit_after_last_ms", "last_to_drained_ms",
          "drained_to_shutdown_log_ms", "shutdown_log_to_exit_ms"):
    if j.get(k) is not None:
        print(f"baton\tupgrade\tbaton\t{i}\t{k}\t{j[k]:.2f}")
EOF
    fi
    sleep "$RESTART_GAP"
  done
  sleep 1
  kill -INT "$kp" "$cp" 2>/dev/null || true
  wait "$kp" 2>/dev/null || true; wait "$cp" 2>/dev/null || true
  $LIB parse wrk "$ka" >"$ka.parsed"; $LIB parse wrk "$cl" >"$cl.parsed"
  rec restart loss "$t" 1 restarts "$done_n"
  rec restart loss "$t" 1 ka_requests "$(field requests <"$ka.parsed")"
  rec restart loss "$t" 1 ka_errors "$(field errors <"$ka.parsed")"
  rec restart loss "$t" 1 close_requests "$(field requests <"$cl.parsed")"
  rec restart loss "$t" 1 close_errors "$(field errors <"$cl.parsed")"
  log "  restarts $(printf '%-8s' "$t") $done_n x $(restart_method "$t"): keep-alive failed $(field errors <"$ka.parsed") of $(field requests <"$ka.parsed"), new-conn failed $(field errors <"$cl.parsed") of $(field requests <"$cl.parsed")"
}

during_restart() { # target round
  local t=$1 r=$2 url="http://127.0.0.1:${H1_PORT[$1]}/" s=$RUN/raw/during_steady_$1_$2.txt d=$RUN/raw/during_$1_$2.txt
  if [ "$t" = baton ]; then
    probe_baton_upgrade
    [ "$BATON_UPGRADE_OK" = yes ] || return 0
  fi
  note_cmd "throughput during a restart" "taskset -c $LOADGEN_CPU wrk -t1 -c50 -d${DURING_WINDOW}s URL (steady), then the same with the restart triggered 0.5 s in"
  taskset -c "$LOADGEN_CPU" wrk -t1 -c50 -d"${DURING_WINDOW}s" "$url" >"$s" 2>&1 || true
  start_client "$d" wrk -t1 -c50 -d"${DURING_WINDOW}s" "$url"; local wp=$CLIENT_PID
  sleep 0.5
  restart_once "$t" || true
  if [ "$t" = baton ]; then
    local j; j=$(tail -1 "$RUN/baton/upgrades.jsonl")
    python3 - "$j" "d$r" >>"$RESULTS" <<'EOF'
import json, sys
j, i = json.loads(sys.argv[1]), sys.argv[2]
for k in ("upgrade_ms", "reported_ms", "exit_ms", "exit_after_last_ms", "last_to_drained_ms",
          "drained_to_shutdown_log_ms", "shutdown_log_to_exit_ms"):
    if j.get(k) is not None:
        print(f"baton\tupgrade\tbaton\t{i}\t{k}\t{j[k]:.2f}")
EOF
  fi
  wait "$wp" 2>/dev/null || true
  $LIB parse wrk "$s" >"$s.parsed"; $LIB parse wrk "$d" >"$d.parsed"
  local a b; a=$(field rps <"$s.parsed"); b=$(field rps <"$d.parsed")
  rec during restart "$t" "$r" steady_rps "$a"
  rec during restart "$t" "$r" during_rps "$b"
  rec during restart "$t" "$r" errors "$(field errors <"$d.parsed")"
  rec during restart "$t" "$r" ratio "$(awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0) printf "%.4f", b / a; else print "nan" }')"
  log "  [$r] during restart $(printf '%-8s' "$t") steady $(printf '%.0f' "$a") req/s, during $(printf '%.0f' "$b") req/s, errors $(field errors <"$d.parsed")"
  sleep 1
}

# Upgrades of an idle Baton: trigger -> the new process answers /status, and the old one's exit.
idle_upgrades() { # target
  local t=$1 i j
  note_cmd "idle upgrades" "$IDLE_UPGRADES x python3 bench/tools/benchlib.py upgrade ADMIN (POST /upgrade, then poll /status every 2 ms until a new pid answers), 0.5 s apart, no load"
  for i in $(seq "$IDLE_UPGRADES"); do
    restart_once "$t" || continue
    j=$(tail -1 "$RUN/$t/upgrades.jsonl")
    python3 - "$j" "$t" "$i" >>"$RESULTS" <<'EOF'
import json, sys
j, t, i = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
for k in ("upgrade_ms", "reported_ms", "exit_ms", "exit_after_last_ms"):
    if j.get(k) is not None:
        print(f"upgrade_idle\tidle\t{t}\t{i}\t{k}\t{j[k]:.2f}")
EOF
    BATON_PIDS+=("$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("new_pid") or "")' "$j")")
    sleep 0.5
  done
  log "  idle upgrades $t: $(grep -P "^upgrade_idle\tidle\t$t\t" "$RESULTS" | awk -F'\t' '$5 == "upgrade_ms" { printf "%.0f ", $6 }')ms"
}

# The issue-10 window: hey at a fixed offered rate for WINDOW_S s without a restart (control), then
# the same window with one restart WINDOW_AT s in. Served = 2xx responses; p50/p99 from hey.
window_test() { # target round
  local t=$1 r=$2 url="http://127.0.0.1:${H1_PORT[$1]}/" c=$RUN/raw/window_control_$1_$2.txt u=$RUN/raw/window_upgrade_$1_$2.txt
  local q=$(( WINDOW_RATE / 50 ))
  note_cmd "upgrade window" "taskset -c $LOADGEN_CPU hey -c 50 -q $q -z ${WINDOW_S}s URL (control), then the same with the restart triggered ${WINDOW_AT} s in"
  taskset -c "$LOADGEN_CPU" hey -c 50 -q "$q" -z "${WINDOW_S}s" "$url" >"$c" 2>&1 || true
  start_client "$u" hey -c 50 -q "$q" -z "${WINDOW_S}s" "$url"; local hp=$CLIENT_PID
  sleep "$WINDOW_AT"
  # nginx's and HAProxy's triggers are one signal; Baton's is one POST, no polling beside it
  restart_once "$t" --quiet || true
  local ms=$RESTART_SERVE_MS
  wait "$hp" 2>/dev/null || true
  $LIB parse hey "$c" >"$c.parsed"; $LIB parse hey "$u" >"$u.parsed"
  local a b
  a=$(field ok <"$c.parsed"); b=$(field ok <"$u.parsed")
  rec window "$WINDOW_RATE" "$t" "$r" control_ok "$a"
  rec window "$WINDOW_RATE" "$t" "$r" upgrade_ok "$b"
  rec window "$WINDOW_RATE" "$t" "$r" errors "$(field errors <"$u.parsed")"
  rec window "$WINDOW_RATE" "$t" "$r" ratio "$(awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0) printf "%.4f", b / a; else print "nan" }')"
  rec window "$WINDOW_RATE" "$t" "$r" control_p50_ms "$(field p50_ms <"$c.parsed")"
  rec window "$WINDOW_RATE" "$t" "$r" control_p99_ms "$(field p99_ms <"$c.parsed")"
  rec window "$WINDOW_RATE" "$t" "$r" upgrade_p50_ms "$(field p50_ms <"$u.parsed")"
  rec window "$WINDOW_RATE" "$t" "$r" upgrade_p99_ms "$(field p99_ms <"$u.parsed")"
  rec window "$WINDOW_RATE" "$t" "$r" p99_ratio "$(awk -v a="$(field p99_ms <"$c.parsed")" -v b="$(field p99_ms <"$u.parsed")" 'BEGIN { if (a > 0) printf "%.3f", b / a; else print "nan" }')"
  [ -n "$ms" ] && rec window "$WINDOW_RATE" "$t" "$r" upgrade_ms "$ms"
  if is_baton "$t"; then
    local j; j=$(tail -1 "$RUN/$t/upgrades.jsonl")
    BATON_PIDS+=("$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("new_pid") or "")' "$j")")
    python3 - "$j" "$t" "$r" "$WINDOW_RATE" >>"$RESULTS" <<'EOF'
import json, sys
j, t, r, rate = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
if j.get("exit_after_last_ms") is not None:
    print(f"window\t{rate}\t{t}\t{r}\texit_after_last_ms\t{j['exit_after_last_ms']:.2f}")
EOF
  fi
  log "  [$r] window $(printf '%-8s' "$t") served $b vs $a without a restart, p99 $(field p99_ms <"$u.parsed") vs $(field p99_ms <"$c.parsed") ms${ms:+, new process serving after $ms ms}"
  # the new .NET process starts cold: warm it before its next control window
  if is_baton "$t"; then warm_dotnet "$t"; fi
}

# ---- access log cost (Baton) -----------------------------------------------------------------------------
# The same build three times, at once on the proxy core (an idle one costs nothing), each warmed,
# then measured in interleaved rounds: the access log is on by default (JSON to stdout, which the
# bench sends to a file), as text, and off. CPU us/req is the figure (issue 12: <= 5% with it on).
ACCESSLOG_VARIANTS=(
  "log-json|baton|BATON_Baton__AccessLog__Enabled=true|access log on (Baton's default): JSON lines to stdout"
  "log-text|baton|BATON_Baton__AccessLog__Enabled=true BATON_Baton__AccessLog__Format=text|access log on, combined text lines"
  "log-off|baton|BATON_Baton__AccessLog__Enabled=false|access log off"
)

accesslog() {
  local i=0 v name dir envs what r names=()
  log "accesslog: starting ${#ACCESSLOG_VARIANTS[@]} variants on core $PROXY_CPU"
  for v in "${ACCESSLOG_VARIANTS[@]}"; do
    IFS='|' read -r name dir envs what <<<"$v"
    note "variant_$name" "$what${envs:+ ($envs)}"
    start_variant "$name" "$dir" "$envs" $((60 + 3 * i))
    names+=("$name"); i=$((i + 1))
  done
  for name in "${names[@]}"; do
    wait_http "http://127.0.0.1:${VPORT[$name]}/" 60 || die "variant $name did not start"
  done
  for name in "${names[@]}"; do
    taskset -c "$LOADGEN_CPU" wrk -t1 -c50 -d"${TUNING_WARM}s" "http://127.0.0.1:${VPORT[$name]}/" >/dev/null 2>&1 || true
  done
  note_cmd "access log" "taskset -c $LOADGEN_CPU wrk -t1 -c50 -d${TUNING_DUR}s URL per variant, $ACCESSLOG_ROUNDS interleaved rounds (1 s warm-up each)"
  for r in $(seq "$ACCESSLOG_ROUNDS"); do
    local order=("${names[@]:$(( (r - 1) % ${#names[@]} ))}" "${names[@]:0:$(( (r - 1) % ${#names[@]} ))}")
    for name in "${order[@]}"; do
      local raw=$RUN/raw/accesslog_${name}_$r.txt url="http://127.0.0.1:${VPORT[$name]}/"
      taskset -c "$LOADGEN_CPU" wrk -t1 -c50 -d1s "$url" >/dev/null 2>&1 || true
      measure_cpu "${VPID[$name]}" eval 'taskset -c "$LOADGEN_CPU" wrk -t1 -c50 -d"${TUNING_DUR}s" "$url" >"$raw" 2>&1 || true'
      $LIB parse wrk "$raw" >"$raw.parsed"
      local rps req cpu; rps=$(field rps <"$raw.parsed"); req=$(field requests <"$raw.parsed")
      cpu=$(awk -v k="$M_TICKS" -v hz="$TICK_HZ" -v n="$req" 'BEGIN { if (n > 0) printf "%.2f", k / hz * 1e6 / n; else print "nan" }')
      rec accesslog steady "$name" "$r" rps "$rps"
      rec accesslog steady "$name" "$r" cpu_us_per_req "$cpu"
      log "  [$r] accesslog $(printf '%-9s' "$name") $(printf '%9.0f' "$rps") req/s  $cpu CPU-us/req"
    done
  done
  local lines; lines=$(grep -c '"status":' "$RUN/tuning/log-json.log" 2>/dev/null || echo 0)
  note accesslog_lines "$lines"
  for name in "${names[@]}"; do kill -TERM -- "-${VPID[$name]}" 2>/dev/null || true; done
  for name in "${names[@]}"; do wait_gone "${VPID[$name]}" 15 || kill -KILL -- "-${VPID[$name]}" 2>/dev/null || true; done
}

# ---- tuning experiments (Baton) ----------------------------------------------------------------------------
# name|binary dir|env (space separated)|what. Steady-state variants; each is warmed TUNING_WARM s.
# Plain YARP gets DOTNET_TC_CallCountingDelayMs=0 here (Baton has it in its runtimeconfig) so that
# it too reaches steady state within the warm-up.
CC0=DOTNET_TC_CallCountingDelayMs=0
VARIANTS=(
  "default|baton||the product: native executable as published by eng/publish-native.sh (Workstation GC, background GC on, no EventSource, inline socket completions)"
  "gc-nonconc|baton|DOTNET_gcConcurrent=0|native, background GC off (the default before issue 10's memory work)"
  "jit|batonjit||the same source as a JIT build: framework-dependent, ReadyToRun, TieredPGO, CallCountingDelayMs=0"
  "speed|baton-speed||native, OptimizationPreference=Speed"
  "isa|baton-isa||native, IlcInstructionSet=x86-64-v3 (AVX2, BMI, ...)"
  "kestrel-inline|baton-kestrelinline||native + SocketTransportOptions.UnsafePreferInlineScheduling = true (on top of the default inline socket completions)"
  "no-inline|baton|BATON_Baton__Runtime__InlineSocketCompletions=false|native, socket continuations handed to the thread pool (the runtime's default; Baton's before session 7)"
  "gc-server|baton|DOTNET_gcServer=1|native, Server GC"
  "spin0|baton|DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0|native, thread-pool workers do not spin before sleeping"
  "yarp|plainyarp|$CC0|plain YARP, defaults (Server GC)"
)

declare -A VPID=() VPORT=()

start_variant() { # index name dir env port-offset cold(0/1) -> sets VPID[name] VPORT[name]
  local name=$1 dir=$2 envs=$3 off=$4 pub h2 adm cfg logf
  pub=$((PORT_BASE + off)); h2=$((pub + 1)); adm=$((pub + 2))
  mkdir -p "$RUN/tuning"
  logf=$RUN/tuning/$name.log
  local envarr=("${DOTNET_ENV[@]}")
  [ -n "$envs" ] && read -r -a extra <<<"$envs" && envarr+=("${extra[@]}")
  if [ "$dir" = plainyarp ]; then
    cfg=$RUN/tuning/$name.json
    sed -e "s/127.0.0.1:${H1_PORT[yarp]}/127.0.0.1:$pub/" -e "s/127.0.0.1:${H2_PORT[yarp]}/127.0.0.1:$h2/" "$RUN/yarp/config.json" >"$cfg"
    start_group "$logf" "$PROXY_CPU" env "${envarr[@]}" "$OUT/plainyarp/plainyarp" --config "$cfg"
  else
    cfg=$RUN/tuning/$name.json
    baton_config "$cfg" "$pub" "$h2" "$adm"
    start_group "$logf" "$PROXY_CPU" env "${envarr[@]}" "$OUT/$dir/baton" run --config "$cfg"
  fi
  VPID[$name]=$STARTED_PID
  VPORT[$name]=$pub
}

tuning() {
  local i=0 v name dir envs what r
  local names=()
  log "tuning: starting ${#VARIANTS[@]} variants on core $PROXY_CPU"
  for v in "${VARIANTS[@]}"; do
    IFS='|' read -r name dir envs what <<<"$v"
    local bin=baton; [ "$dir" = plainyarp ] && bin=plainyarp
    [ -x "$OUT/$dir/$bin" ] || { log "  skip $name ($OUT/$dir/$bin missing)"; continue; }
    note "variant_$name" "$what${envs:+ ($envs)}"
    start_variant "$name" "$dir" "$envs" $((100 + 3 * i))
    names+=("$name"); i=$((i + 1))
  done
  for name in "${names[@]}"; do
    wait_http "http://127.0.0.1:${VPORT[$name]}/" 60 || die "variant $name did not start"
  done
  note tuning_warm "$TUNING_WARM"
  log "tuning: warming each variant for $TUNING_WARM s"
  for name in "${names[@]}"; do
    taskset -c "$LOADGEN_CPU" wrk -t1 -c50 -d"${TUNING_WARM}s" "http://127.0.0.1:${VPORT[$name]}/" >/dev/null 2>&1 || true
  done
  note_cmd "tuning (steady)" "taskset -c $LOADGEN_CPU wrk -t1 -c50 -d${TUNING_DUR}s URL per variant, rounds interleaved (1 s warm-up each)"
  for r in $(seq "$TUNING_ROUNDS"); do
    local order=("${names[@]:$(( (r - 1) % ${#names[@]} ))}" "${names[@]:0:$(( (r - 1) % ${#names[@]} ))}")
    for name in "${order[@]}"; do
      local raw=$RUN/raw/tuning_${name}_$r.txt url="http://127.0.0.1:${VPORT[$name]}/"
      taskset -c "$LOADGEN_CPU" wrk -t1 -c50 -d1s "$url" >/dev/null 2>&1 || true
      measure_cpu "${VPID[$name]}" eval 'taskset -c "$LOADGEN_CPU" wrk -t1 -c50 -d"${TUNING_DUR}s" "$url" >"$raw" 2>&1 || true'
      $LIB parse wrk "$raw" >"$raw.parsed"
      local rps req cpu; rps=$(field rps <"$raw.parsed"); req=$(field requests <"$raw.parsed")
      cpu=$(awk -v k="$M_TICKS" -v hz="$TICK_HZ" -v n="$req" 'BEGIN { if (n > 0) printf "%.2f", k / hz * 1e6 / n; else print "nan" }')
      rec tuning steady "$name" "$r" rps "$rps"
      rec tuning steady "$name" "$r" cpu_us_per_req "$cpu"
      log "  [$r] tuning $(printf '%-15s' "$name") $(printf '%9.0f' "$rps") req/s  $cpu CPU-us/req"
    done
  done
  for name in "${names[@]}"; do kill -TERM -- "-${VPID[$name]}" 2>/dev/null || true; done
  for name in "${names[@]}"; do wait_gone "${VPID[$name]}" 15 || kill -KILL -- "-${VPID[$name]}" 2>/dev/null || true; done

  # Cold start: a fresh process under full load, 1 s chunks. The native build starts
  # COLD_REPEATS times: one second is a small sample on a shared machine.
  note cold_window "$COLD_WINDOW"
  note cold_repeats "$COLD_REPEATS"
  note_cmd "cold start" "start the process; poll GET / every 10 ms until 200; then $COLD_WINDOW x taskset -c $LOADGEN_CPU wrk -t1 -c50 -d1s URL back to back, CPU us/req of each second vs the warm CPU us/req of the same build from the tuning table; first second / warm = the median CPU us/req of the process's own last 3 seconds / its first second's (native build: $COLD_REPEATS starts, median)"
  local colds=("default|baton||default" "jit|batonjit||jit" "yarp|plainyarp||yarp")
  note "variant_yarp" "plain YARP, defaults"
  for v in "${colds[@]}"; do
    local steady_ref rep reps
    IFS='|' read -r name dir envs steady_ref <<<"$v"
    [ -d "$OUT/$dir" ] || continue
    reps=1
    [ "$name" = default ] && reps=$COLD_REPEATS
    for rep in $(seq "$reps"); do
      local t0 first url
      start_variant "cold-$name" "$dir" "$envs" 190
      url="http://127.0.0.1:${VPORT[cold-$name]}/"
      t0=$(now_ms)
      wait_http "$url" 60 || die "cold $name did not start"
      first=$(( $(now_ms) - t0 ))
      local k curve=() k0 k1 n
      for k in $(seq "$COLD_WINDOW"); do
        k0=$(group_ticks "${VPID[cold-$name]}")
        taskset -c "$LOADGEN_CPU" wrk -t1 -c50 -d1s "$url" >"$RUN/raw/cold_${name}_${rep}_$k.txt" 2>&1 || true
        k1=$(group_ticks "${VPID[cold-$name]}")
        n=$($LIB parse wrk "$RUN/raw/cold_${name}_${rep}_$k.txt" | field requests)
        # CPU us per request of this 1 s chunk (noise-robust, unlike req/s)
        curve+=("$(awk -v k=$((k1 - k0)) -v hz="$TICK_HZ" -v n="$n" 'BEGIN { if (n > 0) printf "%.1f", k / hz * 1e6 / n; else print 0 }')")
      done
      if ! kill -0 "${VPID[cold-$name]}" 2>/dev/null || [ "$(awk '{print $3}' "/proc/${VPID[cold-$name]}/stat" 2>/dev/null)" = Z ]; then
        note "cold_stopped_$name" "the process stopped during its window (see bench/out/run/tuning/cold-$name.log)"
      fi
      kill -TERM -- "-${VPID[cold-$name]}" 2>/dev/null || true
      wait_gone "${VPID[cold-$name]}" 15 || kill -KILL -- "-${VPID[cold-$name]}" 2>/dev/null || true
      python3 - "$RESULTS" "$name" "$steady_ref" "$first" "$rep" "${curve[@]}" <<'EOF'
import statistics, sys
path, name, ref, first, rep, *curve = sys.argv[1:]
curve = [float(c) for c in curve]
# warm CPU us/req of the reference build (tuning steady state, same run)
warm = [float(l.split("\t")[5]) for l in open(path) if l.startswith(f"tuning\tsteady\t{ref}\t") and "\tcpu_us_per_req\t" in l]
w = statistics.median(warm) if warm else min(c for c in curve if c > 0)
pct = [100 * w / c if c > 0 else 0 for c in curve]
after = -1
for i in range(len(pct)):
    if all(p >= 90 for p in pct[i:]):
        after = i
        break
# The process against itself: its last 3 seconds (warm by then) over its first second.
own = [c for c in curve[-3:] if c > 0]
first_ratio = statistics.median(own) / curve[0] if own and curve[0] > 0 else 0
with open(path, "a") as f:
    f.write(f"tuning\tcold\t{name}\t{rep}\tfirst_200_ms\t{first}\n")
    f.write(f"tuning\tcold\t{name}\t{rep}\tavg_pct\t{statistics.mean(pct):.1f}\n")
    f.write(f"tuning\tcold\t{name}\t{rep}\tsteady_after_s\t{after}\n")
    f.write(f"tuning\tcold\t{name}\t{rep}\tfirst_ratio\t{first_ratio:.3f}\n")
    if rep == "1":
        for p in pct:
            f.write(f"tuning\tcold\t{name}\t1\tcurve_pct\t{p:.1f}\n")
print(f"{name} [{rep}]: first 200 after {first} ms; CPU us/req per second: " + " ".join(f"{c:.0f}" for c in curve)
      + "; % of warm efficiency: " + " ".join(f"{p:.0f}" for p in pct) + f"; first second / own warm {first_ratio:.2f}")
EOF
    done
  done
}

# ---- machine description --------------------------------------------------------------------------------------
write_meta() {
  local cpu commit dirty
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo "?")
  dirty=$(git -C "$REPO" status --porcelain -- src 2>/dev/null | grep -q . && echo " + uncommitted changes in src/" || true)
  {
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')  (mode: $MODE; rounds $ROUNDS, ${DUR} s runs after ${WARM} s warm-up, $RESTARTS restarts)"
    echo "- Machine: $(nproc) CPUs, $cpu, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, kernel $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "- Load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared: other work may run during the benchmark)"
    echo "- Baton: commit $commit$dirty; .NET SDK $(dotnet --version), runtime $(dotnet --list-runtimes | awk '/NETCore.App/ { v = $2 } END { print v }')"
    echo "- Tools: $(nginx -v 2>&1 | sed 's/.*: //'), HAProxy $(haproxy -v | awk 'NR == 1 { print $3 }'), wrk $(wrk -v 2>&1 | awk 'NR == 1 { print $2 }'), h2load $(h2load --version | awk '{ print $2 }'), Yarp.ReverseProxy $(sed -n 's/.*Yarp.ReverseProxy" Version="\([^"]*\)".*/\1/p' "$REPO/Directory.Packages.props")"
    echo "- Pinning: every proxy (and the 'upstream direct' server) on core $PROXY_CPU with taskset and one worker: nginx worker_processes 1 (upstream keepalive 512); HAProxy nbthread 1 (http-reuse always, master-worker); .NET with taskset -c $PROXY_CPU and DOTNET_PROCESSOR_COUNT=1 (Environment.ProcessorCount = 1, one epoll thread). wrk/h2load and the upstream nginx (one worker, returns 200 \"ok\") on core $LOADGEN_CPU."
    echo "- Access log: off on every side (Baton: Baton:AccessLog:Enabled false in its bench config; nginx: access_log off; HAProxy: no log target; plain YARP: log level Warning) in every section except 'Access log on and off', which measures Baton's default (on, JSON lines to stdout) against off."
    echo "- Plain YARP: bench/PlainYarp (CreateBuilder + AddReverseProxy().LoadFromConfig + MapReverseProxy; Web SDK defaults, i.e. Server GC); log level Warning (YARP's per-request Information logs to the console would measure the console)."
    echo "- Command: \`bench/run.sh${ORIG_ARGS:+ $ORIG_ARGS}\`"
  } >"$OUT/meta.md"
}

write_tail() {
  {
    echo "## Exact commands"
    echo
    echo '```'
    cat "$COMMANDS" 2>/dev/null
    echo '```'
    echo
    echo "## Configurations used"
    local f
    for f in origin/nginx.conf direct/nginx.conf nginx/nginx.conf haproxy/haproxy.cfg yarp/config.json baton/baton.json; do
      echo
      echo "<details><summary>$f</summary>"
      echo
      echo '```'
      sed "s#$RUN#\$RUN#g" "$RUN/$f"
      echo '```'
      echo
      echo "</details>"
    done
  } >"$OUT/tail.md"
}

# The side-by-side comparison: throughput, latency, memory, restarts.
compare() {
  local r t
  log "starting targets (core $PROXY_CPU)"
  for t in "${TARGETS[@]}"; do start_target "$t"; done
  for t in yarp baton batonjit; do warm_dotnet "$t"; done

  for r in $(seq "$ROUNDS"); do
    local n=${#TARGETS[@]} k=$(( (r - 1) % ${#TARGETS[@]} ))
    local order=("${TARGETS[@]:$k}" "${TARGETS[@]:0:$k}")
    log "round $r/$ROUNDS (order: ${order[*]})"
    if want throughput; then
      for t in "${order[@]}"; do tp_h1 "$t" 50 "$r"; done
      for t in "${order[@]}"; do tp_h1 "$t" 200 "$r"; done
      for t in "${order[@]}"; do tp_h2 "$t" "$r"; done
    fi
    if want latency; then
      local lv rate c d
      for lv in $LAT_LEVELS; do
        IFS=: read -r rate c d <<<"$lv"
        for t in "${order[@]}"; do latency "$t" "$rate" "$c" "$d" "$r"; done
      done
    fi
  done
  stop_target direct

  if want memory; then
    log "memory ($MEM_CONNS idle keep-alive connections)"
    for r in $(seq "$(( ROUNDS < 2 ? ROUNDS : 2 ))"); do
      local k=$(( (r - 1) % ${#PROXIES[@]} ))
      for t in "${PROXIES[@]:$k}" "${PROXIES[@]:0:$k}"; do memory "$t" "$r"; done
    done
  fi

  if want idleupgrade; then
    log "upgrades without load ($IDLE_UPGRADES each)"
    for t in baton batonjit; do idle_upgrades "$t"; done
  fi
  if want window; then
    log "one restart inside a ${WINDOW_S} s window at $WINDOW_RATE req/s offered (hey), against the same window without one"
    note window_s "$WINDOW_S"
    for t in baton batonjit; do warm_dotnet "$t"; done
    for r in $(seq "$(( ROUNDS < 2 ? ROUNDS : 2 ))"); do
      for t in nginx haproxy baton batonjit; do window_test "$t" "$r"; done
    done
  fi
  if want during || want restart; then
    for t in yarp baton; do warm_dotnet "$t"; done
  fi
  if want during; then
    note during_window "$DURING_WINDOW"
    log "throughput during one restart"
    for r in $(seq "$ROUNDS"); do
      for t in "${PROXIES[@]}"; do
        [ "$t" = batonjit ] && continue   # the JIT build's upgrades: idle and window tests
        # plain YARP's restart (a cold process, ~1 min to warm again) is measured in round 1 only
        if [ "$t" = yarp ] && [ "$r" -gt 1 ]; then continue; fi
        during_restart "$t" "$r"
        # a restarted .NET process is cold: warm it again before it is measured as steady
        # (plain YARP's next use is the loss test, which restarts it anyway)
        if [ "$t" = baton ] && [ "$BATON_UPGRADE_OK" = yes ]; then warm_dotnet "$t"; fi
      done
    done
  fi
  if want restart; then
    log "loss during $RESTARTS restarts under load"
    for t in "${PROXIES[@]}"; do [ "$t" = batonjit ] || restart_loss "$t"; done
  fi
  if [ "$BATON_UPGRADE_OK" = no ]; then note baton_upgrade "$BATON_UPGRADE_WHY"; fi
  for t in "${PROXIES[@]}"; do stop_target "$t"; done

}

# ---- main ---------------------------------------------------------------------------------------------------------
main() {
  local start_s=$SECONDS r t
  [ "$(nproc)" -ge 2 ] || die "needs at least 2 CPUs (load generator and proxy on separate cores)"
  ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  [ "$SKIP_INSTALL" = 1 ] || install_tools
  mkdir -p "$OUT"
  rm -rf "$RUN" && mkdir -p "$RUN/raw"
  : >"$RESULTS"; : >"$NOTES"; : >"$COMMANDS"
  printf 'section\ttest\ttarget\tround\tmetric\tvalue\n' >"$RESULTS"
  if [ "$SKIP_BUILD" = 0 ]; then build; fi
  [ -x "$OUT/baton/baton" ] && [ -x "$OUT/plainyarp/plainyarp" ] || die "no build in $OUT (drop --skip-build)"
  for p in $ORIGIN_PORT "${H1_PORT[@]}" "${H2_PORT[@]}" $BATON_ADMIN_PORT; do
    ss -ltnH "sport = :$p" | grep -q . && die "port $p is in use (set BENCH_PORT_BASE)"
  done
  write_configs
  write_meta

  log "starting upstream (core $LOADGEN_CPU)"
  start_target origin
  if want throughput || want latency || want memory || want during || want restart || want window || want idleupgrade; then
    compare
  fi

  if want accesslog; then accesslog; fi
  if [ "$TUNING" = 1 ] && want tuning; then tuning; fi

  stop_target origin
  write_tail
  echo "- Run time: $(( (SECONDS - start_s) / 60 )) min $(( (SECONDS - start_s) % 60 )) s" >>"$OUT/meta.md"
  $LIB report --results "$RESULTS" --notes "$NOTES" --meta "$OUT/meta.md" --tail "$OUT/tail.md" \
    --out "$BENCH_DIR/RESULTS.md" --print
  log "wrote $BENCH_DIR/RESULTS.md (raw data in $OUT)"
}

main
