#!/usr/bin/env bash
# bench/upstreams.sh - upstream rolling restarts (issue 13): two nginx upstream instances behind
# Baton (default config and a Reset+Status retry variant), nginx (proxy_next_upstream) and HAProxy
# (retry-on all-retryable-errors, option redispatch); the upstreams restart one after the other
# (graceful quit, ~0.5 s down, start again) under keep-alive GET, Connection: close GET and POST
# load; then Baton's CPU per request with retries configured but unused against MaxTries 1.
#
#   bench/upstreams.sh                 (also: bench/run.sh --upstreams [options])
#   bench/upstreams.sh --restarts 6 --cpu-rounds 1 --skip-build
#
# Writes the section "Upstream rolling restarts (issue 13)" into bench/RESULTS.md (other sections
# are kept) and the raw outputs to bench/out/upstreams/. Everything binds to 127.0.0.1; every
# process it starts is killed on exit.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
OUT=$BENCH_DIR/out/upstreams
RUN=$OUT/run
RESULTS=$OUT/results.tsv
LIB="python3 $BENCH_DIR/tools/benchlib.py"

RESTARTS=20         # upstream restarts per proxy (alternating A, B)
DOWN=0.5            # seconds an upstream stays down
GAP=1               # seconds between an upstream answering again and the next restart
CPU_ROUNDS=3        # interleaved rounds of the CPU test
CPU_DUR=5           # seconds per CPU run
WARM=8              # seconds of warm-up load per Baton before it is measured
SKIP_BUILD=0
SKIP_INSTALL=0
PROXIES_ARG=""      # comma list, default: baton,baton-retry,baton-retry-ni,nginx,nginx-nofail,haproxy
PORT_BASE=${BENCH_UPSTREAMS_PORT_BASE:-21300}
LOADGEN_CPU=${BENCH_LOADGEN_CPU:-0}
PROXY_CPU=${BENCH_PROXY_CPU:-1}

while [ $# -gt 0 ]; do
  case "$1" in
    --restarts) RESTARTS=$2; shift ;;
    --down) DOWN=$2; shift ;;
    --gap) GAP=$2; shift ;;
    --cpu-rounds) CPU_ROUNDS=$2; shift ;;
    --cpu-duration) CPU_DUR=$2; shift ;;
    --proxies) PROXIES_ARG=$2; shift ;;
    --no-cpu) CPU_ROUNDS=0 ;;
    --skip-build) SKIP_BUILD=1 ;;
    --skip-install) SKIP_INSTALL=1 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
      echo "Options: --restarts N ($RESTARTS) --down S ($DOWN) --gap S ($GAP) --cpu-rounds N ($CPU_ROUNDS) --cpu-duration S ($CPU_DUR) --proxies LIST (${PROXIES_ARG:-baton,baton-retry,baton-retry-ni,nginx,nginx-nofail,haproxy}) --no-cpu --skip-build --skip-install"
      echo "Environment: BENCH_UPSTREAMS_PORT_BASE ($PORT_BASE), BENCH_LOADGEN_CPU (0), BENCH_PROXY_CPU (1)."
      exit 0 ;;
    *) echo "upstreams.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# ---- ports (all on 127.0.0.1) ------------------------------------------------------------------
declare -A UP_PORT=([a]=$((PORT_BASE + 1)) [b]=$((PORT_BASE + 2)))
declare -A PORT=([nginx]=$((PORT_BASE + 10)) [haproxy]=$((PORT_BASE + 20)) [baton]=$((PORT_BASE + 30))
                 [baton-retry]=$((PORT_BASE + 40)) [baton-off]=$((PORT_BASE + 50)) [nginx-nofail]=$((PORT_BASE + 12)) [baton-retry-ni]=$((PORT_BASE + 60)))
declare -A ADMIN=([baton]=$((PORT_BASE + 31)) [baton-retry]=$((PORT_BASE + 41)) [baton-off]=$((PORT_BASE + 51)) [baton-retry-ni]=$((PORT_BASE + 61)))
PROXIES=(baton baton-retry baton-retry-ni nginx nginx-nofail haproxy)
[ -z "$PROXIES_ARG" ] || IFS=, read -r -a PROXIES <<<"$PROXIES_ARG"
declare -A LOADS=([ka]="wrk -t1 -c20 (keep-alive GET)" [close]="wrk -t1 -c10 -H 'Connection: close' (GET)"
                  [post4k]="wrk -t1 -c10 -s tools/post.lua -- 4096 (POST 4 KiB)"
                  [post200k]="wrk -t1 -c4 -s tools/post.lua -- 204800 (POST 200 KiB)")
LOAD_ORDER=(ka close post4k post200k)

# ---- process bookkeeping -------------------------------------------------------------------------
declare -A PID=()
GROUPS_STARTED=()
CLIENTS=()
log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now_ms() { date +%s%3N; }

cleanup() {
  set +e
  local p g
  for p in "${CLIENTS[@]}"; do kill "$p" 2>/dev/null; done
  for g in "${GROUPS_STARTED[@]}"; do kill -TERM -- "-$g" 2>/dev/null; done
  sleep 0.5
  for g in "${GROUPS_STARTED[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# As bench/run.sh: own session (one process group per server), SIGINT/SIGQUIT back to default.
RESET_SIGNALS='import os, signal, sys
for s in (signal.SIGINT, signal.SIGQUIT):
    signal.signal(s, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])'
start_group() { # logfile cpu cmd...
  local logfile=$1 cpu=$2; shift 2
  setsid taskset -c "$cpu" python3 -c "$RESET_SIGNALS" "$@" >>"$logfile" 2>&1 </dev/null &
  STARTED_PID=$!
  GROUPS_STARTED+=("$STARTED_PID")
}
start_client() { # logfile cmd...
  local logfile=$1; shift
  taskset -c "$LOADGEN_CPU" "$@" >"$logfile" 2>&1 </dev/null &
  CLIENT_PID=$!
  CLIENTS+=("$CLIENT_PID")
}
rec() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }  # section target load/round metric value

wait_http() { # URL TIMEOUT_S: until a 200 comes back
  local url=$1 deadline=$(( $(now_ms) + $2 * 1000 ))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    curl -sf -o /dev/null --max-time 1 "$url" && return 0
    sleep 0.01
  done
  return 1
}
wait_gone() { # PID TIMEOUT_S (a zombie counts as gone)
  local deadline=$(( $(now_ms) + $2 * 1000 ))
  while kill -0 "$1" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do
    [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ] && return 0
    sleep 0.005
  done
  ! kill -0 "$1" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]
}
group_ticks() { # user+sys clock ticks of every process in a process group
  local g=$1 total=0 pid t
  for pid in $(pgrep -g "$g" 2>/dev/null); do
    t=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}
TICK_HZ=$(getconf CLK_TCK)

# ---- install and build ----------------------------------------------------------------------------
install_tools() { # as bench/run.sh: Debian packages only, their services kept from starting
  local missing=() created=0
  command -v nginx >/dev/null || missing+=(nginx)
  command -v haproxy >/dev/null || missing+=(haproxy)
  command -v wrk >/dev/null || missing+=(wrk)
  command -v curl >/dev/null || missing+=(curl)
  command -v taskset >/dev/null || missing+=(util-linux)
  command -v ss >/dev/null || missing+=(iproute2)
  command -v pgrep >/dev/null || missing+=(procps)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  if [ "$created" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
}

build() { # Baton from a snapshot of the work tree, as bench/run.sh publishes it
  local snap=$OUT/src-snapshot
  log "publishing Baton (Release, linux-x64) from a snapshot of the work tree"
  rm -rf "$snap" && mkdir -p "$snap"
  (cd "$REPO" && tar --exclude=bin --exclude=obj -cf - src Directory.Build.props Directory.Packages.props \
      $(ls global.json nuget.config NuGet.config 2>/dev/null)) | tar -xf - -C "$snap"
  (cd "$REPO" && git rev-parse --short HEAD) >"$snap/COMMIT" 2>/dev/null || true
  rm -rf "$OUT/baton"
  # linux-x64 framework-dependent first (ReadyToRun, as bench/run.sh); a plain publish when the
  # project refuses it (e.g. trimming on: self-contained only).
  if ! dotnet publish "$snap/src/Baton" -c Release -o "$OUT/baton" -nologo -v q -r linux-x64 --self-contained false \
      >"$OUT/build-baton.log" 2>&1; then
    log "publish -r linux-x64 failed (see $OUT/build-baton.log); publishing without a runtime identifier"
    rm -rf "$OUT/baton"
    dotnet publish "$snap/src/Baton" -c Release -o "$OUT/baton" -nologo -v q >"$OUT/build-baton-plain.log" 2>&1 \
      || die "Baton build failed (see $OUT/build-baton-plain.log)"
  fi
}

# ---- configs ---------------------------------------------------------------------------------------------
write_configs() {
  local u d
  for u in a b; do
    d=$RUN/up-$u; mkdir -p "$d"
    # A plain upstream: 200 "ok" (request bodies read and discarded); a graceful quit closes its
    # idle keep-alive connections (the keep-alive race) and refuses connections while it is down.
    cat >"$d/nginx.conf" <<EOF
daemon off; master_process on; worker_processes 1;
pid $d/nginx.pid; error_log $d/error.log warn;
worker_rlimit_nofile 10000; events { worker_connections 8000; }
http {
    access_log off; keepalive_requests 1000000; keepalive_timeout 75s; client_max_body_size 1m;
    client_body_temp_path $d/tmp_body; proxy_temp_path $d/tmp_proxy; fastcgi_temp_path $d/tmp_fcgi;
    uwsgi_temp_path $d/tmp_uwsgi; scgi_temp_path $d/tmp_scgi;
    server {
        listen 127.0.0.1:${UP_PORT[$u]} backlog=4096;
        location / { default_type text/plain; return 200 "ok"; }
    }
}
EOF
  done
  # nginx as documented for retries; nginx-nofail also sets max_fails=0: the default passive check
  # (max_fails=1 fail_timeout=10s) keeps a restarted server out for 10 s, longer than the restart cadence.
  nginx_proxy_config nginx ""
  nginx_proxy_config nginx-nofail " max_fails=0"
  d=$RUN/haproxy; mkdir -p "$d"
  cat >"$d/haproxy.cfg" <<EOF
global
    nbthread 1
    maxconn 9000

defaults
    mode http
    maxconn 9000
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s
    http-reuse always
    retries 3
    option redispatch
    retry-on all-retryable-errors

frontend fe
    bind 127.0.0.1:${PORT[haproxy]} backlog 4096
    default_backend be

backend be
    balance roundrobin
    server a 127.0.0.1:${UP_PORT[a]}
    server b 127.0.0.1:${UP_PORT[b]}
EOF
  baton_config baton ''
  baton_config baton-retry '"Upstreams":{"Defaults":{"RetryOn":"AlwaysSafe, Reset, Status","RetryStatuses":[503]}},'
  baton_config baton-retry-ni '"Upstreams":{"Defaults":{"RetryOn":"AlwaysSafe, Reset, Status","RetryStatuses":[503],"RetryNonIdempotent":true}},'
  baton_config baton-off '"Upstreams":{"Defaults":{"MaxTries":1}},'
}

nginx_proxy_config() { # name server-params
  local d=$RUN/$1; mkdir -p "$d"
  cat >"$d/nginx.conf" <<EOF
daemon off; master_process on; worker_processes 1;
pid $d/nginx.pid; error_log $d/error.log warn;
worker_rlimit_nofile 10000; events { worker_connections 8000; }
http {
    access_log off; keepalive_requests 1000000; client_max_body_size 1m;
    client_body_temp_path $d/tmp_body; proxy_temp_path $d/tmp_proxy; fastcgi_temp_path $d/tmp_fcgi;
    uwsgi_temp_path $d/tmp_uwsgi; scgi_temp_path $d/tmp_scgi;
    upstream app {
        server 127.0.0.1:${UP_PORT[a]}$2;
        server 127.0.0.1:${UP_PORT[b]}$2;
        keepalive 128;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:${PORT[$1]} backlog=4096;
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream error timeout http_503;
        }
    }
}
EOF
}

baton_config() { # name extra-Baton-keys
  mkdir -p "$RUN/$1"
  cat >"$RUN/$1/baton.json" <<EOF
{"Baton":{"Listeners":{"public":{"Address":"127.0.0.1:${PORT[$1]}","Protocols":"Http1"}},
          "Admin":{"Address":"127.0.0.1:${ADMIN[$1]}"},$2
          "Lifecycle":{"DrainTimeout":"00:00:10","ShutdownGracePeriod":"00:00:00"}},
 "ReverseProxy":{"Routes":{"all":{"ClusterId":"app","Match":{"Path":"{**catch-all}"}}},
                 "Clusters":{"app":{"Destinations":{"a":{"Address":"http://127.0.0.1:${UP_PORT[a]}/"},
                                                    "b":{"Address":"http://127.0.0.1:${UP_PORT[b]}/"}}}}}}
EOF
}

# ---- starting and stopping ----------------------------------------------------------------------------------
DOTNET_ENV=(DOTNET_PROCESSOR_COUNT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1)

start_up() { # a|b
  local d=$RUN/up-$1
  start_group "$d/stdout.log" "$LOADGEN_CPU" nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf"
  PID[up-$1]=$STARTED_PID
  wait_http "http://127.0.0.1:${UP_PORT[$1]}/" 20 || { tail -5 "$d/error.log" >&2; die "upstream $1 did not start"; }
}

start_proxy() { # name
  local t=$1
  case "$t" in
    nginx*) start_group "$RUN/$t/stdout.log" "$PROXY_CPU" nginx -e "$RUN/$t/error.log" -p "$RUN/$t" -c "$RUN/$t/nginx.conf" ;;
    haproxy) start_group "$RUN/haproxy/stdout.log" "$PROXY_CPU" haproxy -db -f "$RUN/haproxy/haproxy.cfg" ;;
    baton*) start_group "$RUN/$t/stdout.log" "$PROXY_CPU" env "${DOTNET_ENV[@]}" "$OUT/baton/baton" run --config "$RUN/$t/baton.json" --log-format json ;;
  esac
  PID[$t]=$STARTED_PID
  wait_http "http://127.0.0.1:${PORT[$t]}/" 60 || { tail -20 "$RUN/$t/stdout.log" >&2; die "$t did not start"; }
}

stop_group() { # name
  local g=${PID[$1]:-}
  [ -n "$g" ] || return 0
  kill -TERM -- "-$g" 2>/dev/null || true
  wait_gone "$g" 15 || kill -KILL -- "-$g" 2>/dev/null || true
  local i; for i in $(seq 100); do pgrep -g "$g" >/dev/null || break; sleep 0.05; done
  kill -KILL -- "-$g" 2>/dev/null || true
  wait "$g" 2>/dev/null || true
  unset "PID[$1]"
}

# Graceful quit of one upstream (SIGQUIT to its master: in-flight requests finish, idle keep-alive
# connections close), DOWN seconds with nothing listening, then start again and wait until it answers.
restart_up() { # a|b
  local u=$1 g=${PID[up-$1]}
  kill -QUIT "$g"
  wait_gone "$g" 15 || die "upstream $u did not quit"
  wait "$g" 2>/dev/null || true
  for p in $(pgrep -g "$g" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done  # nothing should be left
  sleep "$DOWN"   # the deliberate downtime, not a readiness wait
  start_up "$u"
}

warm() { # proxy: load of every kind, so JIT and pools are warm before anything is counted
  local url="http://127.0.0.1:${PORT[$1]}/"
  taskset -c "$LOADGEN_CPU" wrk -t1 -c20 -d"${WARM}s" "$url" >/dev/null 2>&1 || true
  taskset -c "$LOADGEN_CPU" wrk -t1 -c10 -d2s -s "$BENCH_DIR/tools/post.lua" "$url" -- 4096 >/dev/null 2>&1 || true
  taskset -c "$LOADGEN_CPU" wrk -t1 -c4 -d2s -s "$BENCH_DIR/tools/post.lua" "$url" -- 204800 >/dev/null 2>&1 || true
}

# ---- rolling restarts ---------------------------------------------------------------------------------------
rolling() { # proxy
  local t=$1 url="http://127.0.0.1:${PORT[$1]}/" l i u
  declare -A cp=()
  start_client "$RUN/raw/${t}_ka.txt" wrk -t1 -c20 -d600s "$url"; cp[ka]=$CLIENT_PID
  start_client "$RUN/raw/${t}_close.txt" wrk -t1 -c10 -d600s -H "Connection: close" "$url"; cp[close]=$CLIENT_PID
  start_client "$RUN/raw/${t}_post4k.txt" wrk -t1 -c10 -d600s -s "$BENCH_DIR/tools/post.lua" "$url" -- 4096; cp[post4k]=$CLIENT_PID
  start_client "$RUN/raw/${t}_post200k.txt" wrk -t1 -c4 -d600s -s "$BENCH_DIR/tools/post.lua" "$url" -- 204800; cp[post200k]=$CLIENT_PID
  sleep 1   # load running before the first restart
  local t0; t0=$(now_ms)
  for i in $(seq "$RESTARTS"); do
    u=a; [ $((i % 2)) = 0 ] && u=b
    restart_up "$u"
    sleep "$GAP"
  done
  local el=$(( $(now_ms) - t0 ))
  for l in "${LOAD_ORDER[@]}"; do kill -INT "${cp[$l]}" 2>/dev/null || true; done
  for l in "${LOAD_ORDER[@]}"; do wait "${cp[$l]}" 2>/dev/null || true; done
  rec rolling "$t" all restarts "$RESTARTS"
  rec rolling "$t" all restart_ms "$el"
  local line="  $(printf '%-12s' "$t")"
  for l in "${LOAD_ORDER[@]}"; do
    $LIB parse wrk "$RUN/raw/${t}_$l.txt" >"$RUN/raw/${t}_$l.parsed"
    local k
    for k in requests errors non2xx connect read write timeout; do
      rec rolling "$t" "$l" "$k" "$(awk -v k=$k '$1 == k { print $2 }' "$RUN/raw/${t}_$l.parsed")"
    done
    line+="  $l $(awk '$1 == "errors" { e = $2 } $1 == "requests" { n = $2 } END { printf "%d/%d", e, n }' "$RUN/raw/${t}_$l.parsed")"
  done
  log "$line failed/requests ($RESTARTS restarts in $((el / 1000)) s)"
}

# ---- CPU per request: retries configured but unused vs off --------------------------------------------------
cpu_test() {
  local v r i url k0 k1 n raw
  local variants=(baton-off baton baton-retry)
  for v in "${variants[@]}"; do start_proxy "$v"; warm "$v"; done
  log "CPU per request (wrk -t1 -c50 -d${CPU_DUR}s, healthy upstreams, $CPU_ROUNDS interleaved rounds)"
  for r in $(seq "$CPU_ROUNDS"); do
    for i in 0 1 2; do
      v=${variants[$(( (i + r) % 3 ))]}
      url="http://127.0.0.1:${PORT[$v]}/"; raw=$RUN/raw/cpu_${v}_$r.txt
      k0=$(group_ticks "${PID[$v]}")
      taskset -c "$LOADGEN_CPU" wrk -t1 -c50 -d"${CPU_DUR}s" "$url" >"$raw" 2>&1 || true
      k1=$(group_ticks "${PID[$v]}")
      n=$($LIB parse wrk "$raw" | awk '$1 == "requests" { print $2 }')
      rec cpu "$v" "$r" requests "$n"
      rec cpu "$v" "$r" ticks "$((k1 - k0))"
      rec cpu "$v" "$r" errors "$($LIB parse wrk "$raw" | awk '$1 == "errors" { print $2 }')"
      log "  [$r] $(printf '%-12s' "$v") $n requests, $(awk -v k=$((k1 - k0)) -v hz="$TICK_HZ" -v n="$n" 'BEGIN { if (k > 0) printf "%.0f", n / (k / hz); else print "?" }') req per CPU-second"
    done
  done
  for v in "${variants[@]}"; do stop_group "$v"; done
}

# ---- main -----------------------------------------------------------------------------------------------------
main() {
  local start_s=$SECONDS t
  [ "$(nproc)" -ge 2 ] || die "needs at least 2 CPUs"
  ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  [ "$SKIP_INSTALL" = 1 ] || install_tools
  mkdir -p "$OUT"
  [ "$SKIP_BUILD" = 1 ] || build
  [ -x "$OUT/baton/baton" ] || [[ "${PROXIES[*]}" != *baton* && "$CPU_ROUNDS" = 0 ]] || die "no build in $OUT/baton (drop --skip-build)"
  rm -rf "$RUN" && mkdir -p "$RUN/raw"
  printf 'section\ttarget\tkey\tmetric\tvalue\n' >"$RESULTS"
  local p
  for p in "${UP_PORT[@]}" "${PORT[@]}" "${ADMIN[@]}"; do
    ss -ltnH "sport = :$p" | grep -q . && die "port $p is in use (set BENCH_UPSTREAMS_PORT_BASE)"
  done
  write_configs
  start_up a; start_up b
  log "rolling restarts: $RESTARTS upstream restarts per proxy (down ${DOWN} s, ${GAP} s apart), 4 loads at once"
  for t in "${PROXIES[@]}"; do
    start_proxy "$t"; warm "$t"
    rolling "$t"
    stop_group "$t"
  done
  [ "$CPU_ROUNDS" -gt 0 ] && cpu_test
  stop_group up-a; stop_group up-b
  {
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "commit=$(cat "$OUT/src-snapshot/COMMIT" 2>/dev/null || echo '?')"
    echo "nginx=$(nginx -v 2>&1 | sed 's/.*\///')"
    echo "haproxy=$(haproxy -v | head -1 | awk '{print $3}')"
    echo "wrk=$(wrk -v 2>&1 | head -1 | awk '{print $2}')"
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //') ($(nproc) cores)"
    echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "runtime_s=$((SECONDS - start_s))"
    echo "restarts=$RESTARTS"; echo "down=$DOWN"; echo "gap=$GAP"; echo "cpu_rounds=$CPU_ROUNDS"; echo "cpu_dur=$CPU_DUR"
    echo "proxy_cpu=$PROXY_CPU"; echo "loadgen_cpu=$LOADGEN_CPU"
  } >"$OUT/meta.txt"
  python3 "$BENCH_DIR/tools/upstreams_report.py" --results "$RESULTS" --meta "$OUT/meta.txt" --run "$RUN" \
    --into "$BENCH_DIR/RESULTS.md"
}

main
