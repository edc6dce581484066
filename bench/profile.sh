#!/usr/bin/env bash
# bench/profile.sh - where a small proxied GET's CPU goes in the native executable (perf).
#
#   bench/profile.sh [SECONDS]    (default 15; needs root or perf_event_paranoid <= 1, and perf)
#
# Publishes nothing: profiles artifacts/native/baton (eng/publish-native.sh first). Starts an nginx
# upstream (core 0, returns 200 "ok"), Baton pinned to core 1 with DOTNET_PROCESSOR_COUNT=1, warms
# it, then records `perf record -F 1999 -g` on Baton while wrk -t1 -c50 runs on core 0. Native AOT
# code has real symbols (baton.dbg beside the executable), so no perf map is needed. Prints the
# flat profile grouped by component and writes the raw report to bench/out/profile/.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
SECS=${1:-15}
OUT=$BENCH_DIR/out/profile
EXE=${BATON_EXE:-$REPO/artifacts/native/baton}
PORT=${BENCH_PORT_BASE:-23300}
mkdir -p "$OUT"
command -v perf >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null
command -v nginx >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
[ -x "$EXE" ] || { echo "profile.sh: $EXE missing: run eng/publish-native.sh" >&2; exit 2; }
cat >"$OUT/nginx.conf" <<NG
daemon off; master_process off; worker_processes 1; pid $OUT/nginx.pid; error_log $OUT/nginx.err warn;
events { worker_connections 4000; }
http { access_log off; keepalive_requests 1000000; keepalive_timeout 3600s;
  client_body_temp_path $OUT/t1; proxy_temp_path $OUT/t2; fastcgi_temp_path $OUT/t3; uwsgi_temp_path $OUT/t4; scgi_temp_path $OUT/t5;
  server { listen 127.0.0.1:$PORT backlog=4096; location / { default_type text/plain; return 200 "ok"; } } }
NG
cat >"$OUT/baton.json" <<JS
{"Baton":{"Listeners":{"public":{"Address":"127.0.0.1:$((PORT + 1))","Protocols":"Http1"}},
          "Lifecycle":{"DrainTimeout":"00:00:05","ShutdownGracePeriod":"00:00:00"}},
 "ReverseProxy":{"Routes":{"all":{"ClusterId":"app","Match":{"Path":"{**catch-all}"}}},
                 "Clusters":{"app":{"Destinations":{"a":{"Address":"http://127.0.0.1:$PORT/"}}}}}}
JS
taskset -c 0 nginx -c "$OUT/nginx.conf" -p "$OUT" & NG=$!
DOTNET_PROCESSOR_COUNT=1 taskset -c 1 "$EXE" run --config "$OUT/baton.json" >"$OUT/baton.log" 2>&1 & B=$!
trap 'kill -TERM $B $NG 2>/dev/null; wait $B $NG 2>/dev/null' EXIT
URL=http://127.0.0.1:$((PORT + 1))/
for _ in $(seq 200); do curl -sf -o /dev/null "$URL" && break; sleep 0.05; done
taskset -c 0 wrk -t1 -c50 -d5s "$URL" >/dev/null
perf record -F 1999 -g -o "$OUT/perf.data" -p "$B" -- sleep "$SECS" 2>"$OUT/perf.err" & P=$!
taskset -c 0 wrk -t1 -c50 -d"${SECS}s" "$URL" >"$OUT/wrk.txt"
wait $P
perf report -i "$OUT/perf.data" --no-children --sort dso,symbol -g none --stdio 2>/dev/null >"$OUT/flat.txt"
perf report -i "$OUT/perf.data" --children --sort symbol -g none --stdio 2>/dev/null >"$OUT/children.txt"
grep Requests/sec "$OUT/wrk.txt"
python3 - "$OUT/flat.txt" <<'PY'
import re, sys, collections
groups = [
    ("kernel: TCP/IP, syscalls, scheduler", r"\[kernel|\[k\]"),
    ("libc (send/recv/epoll wrappers)", r"libc\.so"),
    ("GC and allocation", r"Rhp(New|GcAlloc|.*Alloc)|WKS::|SVR::|gc_heap|GCHeap|memset|memclr|RhpAssignRef|RhpCheckedAssignRef|RhpBulkWriteBarrier|Gc"),
    ("Kestrel (HTTP/1.1 parsing, connection, output)", r"Microsoft_AspNetCore_Server_Kestrel"),
    ("ASP.NET Core hosting, routing, HTTP abstractions", r"Microsoft_AspNetCore_(Routing|Hosting|Http)|Microsoft_Extensions"),
    ("YARP (forwarder, transforms, model)", r"Yarp_ReverseProxy"),
    ("HttpClient (SocketsHttpHandler, HTTP/1.1 to the upstream)", r"System_Net_Http"),
    ("sockets, pipelines, thread pool, async machinery", r"System_Net_Sockets|System_IO_Pipelines|System_Threading|AsyncTaskMethodBuilder|AsyncStateMachine|ExecutionContext|ValueTask|Task"),
    ("Baton's middleware and tracking", r"Baton_"),
    ("runtime helpers (casts, interface dispatch, strings, collections)", r"Rhp|TypeCast|S_P_CoreLib|System_Collections|System_Private"),
]
tot = collections.OrderedDict((g, 0.0) for g, _ in groups)
other = 0.0
top = []
for line in open(sys.argv[1]):
    m = re.match(r"\s+([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)$", line)
    if not m:
        continue
    pct, dso, kind, sym = float(m.group(1)), m.group(2), m.group(3), m.group(4).strip()
    key = f"[{kind}] {dso} {sym}"
    top.append((pct, f"{dso} {sym}"))
    for g, rx in groups:
        if re.search(rx, key):
            tot[g] += pct
            break
    else:
        other += pct
print("\nCPU by component (flat, self time):")
for g, v in tot.items():
    print(f"  {v:5.1f}%  {g}")
print(f"  {other:5.1f}%  other")
print("\nTop 25 functions (self):")
for pct, name in sorted(top, reverse=True)[:25]:
    print(f"  {pct:5.2f}%  {name[:150]}")
PY
