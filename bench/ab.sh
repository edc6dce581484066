#!/usr/bin/env bash
# bench/ab.sh OLD NEW [ROUNDS] - requests per CPU-second of two Baton executables side by side (for
# "the hot path does not get slower"): same config, Baton pinned to core 1, an nginx upstream and
# the load generators (wrk -c50, h2load -c10 -m10) on core 0, interleaved rounds, one line per
# build and round. Needs nginx, wrk and h2load (bench/run.sh installs them). Ports 23000-23003.
set -euo pipefail
OLD=$1 NEW=$2 ROUNDS=${3:-3}
D=$(mktemp -d /tmp/ab.XXXX); trap 'kill -TERM -- -$UP 2>/dev/null || true; rm -rf $D' EXIT
mkdir -p $D/origin/logs
cat > $D/origin/nginx.conf <<C
daemon off; worker_processes 1; error_log $D/origin/error.log; pid $D/origin/nginx.pid;
events { worker_connections 4096; }
http { access_log off; keepalive_timeout 3600s; keepalive_requests 1000000;
  client_body_temp_path $D/origin; proxy_temp_path $D/origin; fastcgi_temp_path $D/origin; uwsgi_temp_path $D/origin; scgi_temp_path $D/origin;
  server { listen 127.0.0.1:23000 backlog=4096; location / { default_type text/plain; return 200 "ok"; } } }
C
setsid taskset -c 0 nginx -p $D/origin -c $D/origin/nginx.conf & UP=$!
sleep 1
cat > $D/baton.json <<C
{"Baton":{"Listeners":{"public":{"Address":"127.0.0.1:23001","Protocols":"Http1"},"h2c":{"Address":"127.0.0.1:23002","Protocols":"Http2"}},
 "Admin":{"Address":"127.0.0.1:23003"},"AccessLog":{"Enabled":false},
 "Lifecycle":{"DrainTimeout":"00:00:10","ShutdownGracePeriod":"00:00:00","EnableZeroDowntime":true}},
 "ReverseProxy":{"Routes":{"all":{"ClusterId":"app","Match":{"Path":"{**catch-all}"}}},
 "Clusters":{"app":{"Destinations":{"a":{"Address":"http://127.0.0.1:23000/"}}}}}}
C
ticks() { sed 's/^.*) //' /proc/$1/stat | awk '{print $12 + $13}'; }
hz=$(getconf CLK_TCK)
run() { # exe label
  setsid taskset -c 1 env DOTNET_PROCESSOR_COUNT=1 "$1" run --config $D/baton.json --log-format json >$D/$2.log 2>&1 & local p=$!
  for i in $(seq 100); do curl -fs http://127.0.0.1:23001/ >/dev/null 2>&1 && break; sleep 0.1; done
  taskset -c 0 wrk -t1 -c50 -d3s http://127.0.0.1:23001/ >/dev/null
  taskset -c 0 h2load -t1 -c10 -m10 -D 2 http://127.0.0.1:23002/ >/dev/null 2>&1
  local t0=$(ticks $p); local n=$(taskset -c 0 wrk -t1 -c50 -d5s http://127.0.0.1:23001/ | awk '/requests in/ {print $1}'); local t1=$(ticks $p)
  local m=$(taskset -c 0 h2load -t1 -c10 -m10 -D 5 http://127.0.0.1:23002/ 2>/dev/null | awk '/^requests:/ {print $8}'); local t2=$(ticks $p)
  echo "$2 h1 $(awk -v n=$n -v t=$((t1-t0)) -v hz=$hz 'BEGIN{printf "%.0f", n/(t/hz)}') h2c $(awk -v n=$m -v t=$((t2-t1)) -v hz=$hz 'BEGIN{printf "%.0f", n/(t/hz)}')"
  kill -TERM $p; wait $p 2>/dev/null || true
}
for r in $(seq $ROUNDS); do run "$OLD" old; run "$NEW" new; done
