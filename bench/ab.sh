#!/usr/bin/env bash
# bench/ab.sh OLD NEW [ROUNDS] [SECONDS] - requests per CPU-second of two Baton executables side by
# side (for "the hot path does not get slower"). Both run at once with the same config (their own
# ports), pinned to core 1; an nginx upstream and the load generators (wrk -t1 -c50, h2load -c10
# -m10, one per build) on core 0. Each round loads both builds at the same time for SECONDS
# (default 3), HTTP/1.1 then h2c, so a noisy neighbour moves both sides of a pair alike. One line per build and round,
# then each protocol's new ÷ old: the median, and the mean with a 95 % interval. Needs nginx, wrk
# and h2load (bench/run.sh installs them). Ports 23000-23013 on 127.0.0.1.
set -euo pipefail
OLD=$1 NEW=$2 ROUNDS=${3:-20} SECS=${4:-3}
D=$(mktemp -d /tmp/ab.XXXX)
PIDS=()
trap 'kill -TERM "${PIDS[@]}" 2>/dev/null || true; kill -TERM -- -$UP 2>/dev/null || true; rm -rf $D' EXIT
. "$(dirname "$0")/tools/origin.sh"
start_origin $D/origin 23000 0; UP=$ORIGIN_PID

config() { # label base-port
  cat > $D/$1.json <<C
{"Baton":{"Listeners":{"public":{"Address":"127.0.0.1:$2","Protocols":"Http1"},"h2c":{"Address":"127.0.0.1:$(($2 + 1))","Protocols":"Http2"}},
 "Admin":{"Address":"127.0.0.1:$(($2 + 2))"},"AccessLog":{"Enabled":false},
 "Lifecycle":{"DrainTimeout":"00:00:10","ShutdownGracePeriod":"00:00:00","EnableZeroDowntime":false}},
 "ReverseProxy":{"Routes":{"all":{"ClusterId":"app","Match":{"Path":"{**catch-all}"}}},
 "Clusters":{"app":{"Destinations":{"a":{"Address":"http://127.0.0.1:23000/"}}}}}}
C
}
start() { # exe label base-port
  config $2 $3
  setsid taskset -c 1 env DOTNET_PROCESSOR_COUNT=1 "$1" run --config $D/$2.json --log-format json >$D/$2.log 2>&1 &
  PIDS+=($!)
  for i in $(seq 100); do curl -fs http://127.0.0.1:$3/ >/dev/null 2>&1 && return; sleep 0.1; done
  echo "ab.sh: $1 did not answer on 127.0.0.1:$3 (log: $(tail -3 $D/$2.log))" >&2; exit 1
}
start "$OLD" old 23001; OLDP=${PIDS[0]}
start "$NEW" new 23011; NEWP=${PIDS[1]}
ticks() { sed 's/^.*) //' /proc/$1/stat | awk '{print $12 + $13}'; }
hz=$(getconf CLK_TCK)
h1() { taskset -c 0 wrk -t1 -c50 -d${2}s http://127.0.0.1:$1/ | awk '/requests in/ {print $1}'; }
h2c() { taskset -c 0 h2load -t1 -c10 -m10 -D $2 http://127.0.0.1:$1/ 2>/dev/null | awk '/^requests:/ {print $8}'; }
# Both builds under the same load at the same time, sharing core 1: whatever the neighbours do to
# that core in those seconds, they do to both, so the ratio of a pair is steady where two
# back-to-back runs on this shared machine differed by up to 2x.
pair() { # kind old-port new-port seconds round -> "old-rate new-rate" (requests per CPU-second)
  local a0=$(ticks $OLDP) b0=$(ticks $NEWP)
  if (( $5 % 2 )); then # who starts first alternates by round
    $1 $2 $4 >$D/a & local wa=$!; $1 $3 $4 >$D/b & local wb=$!
  else
    $1 $3 $4 >$D/b & local wb=$!; $1 $2 $4 >$D/a & local wa=$!
  fi
  wait $wa $wb
  local a1=$(ticks $OLDP) b1=$(ticks $NEWP)
  awk -v n=$(cat $D/a) -v m=$(cat $D/b) -v t=$((a1 - a0)) -v u=$((b1 - b0)) -v hz=$hz 'BEGIN { printf "%.0f %.0f\n", n / (t / hz), m / (u / hz) }'
}
# Warm both (JIT tiers, pools, connections) before anything is measured.
for p in 23001 23011; do h1 $p 3 >/dev/null; h2c $((p + 1)) 2 >/dev/null; done
for r in $(seq $ROUNDS); do
  read a b < <(pair h1 23001 23011 $SECS $r); read c d < <(pair h2c 23002 23012 $SECS $r)
  echo "old h1 $a h2c $c"; echo "new h1 $b h2c $d"
done | tee $D/rounds
# Each round's new ÷ old: the median, and the mean with a 95 % interval (±1.96 standard errors of
# the per-round ratios).
awk '$1 == "old" { h1 = $3; h2 = $5 } $1 == "new" { r1[++n] = $3 / h1; r2[n] = $5 / h2 }
  function report(name, r,    i, j, t, s, m, v, sorted) {
    for (i = 1; i <= n; i++) { sorted[i] = r[i]; s += r[i] }
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (sorted[j] < sorted[i]) { t = sorted[i]; sorted[i] = sorted[j]; sorted[j] = t }
    m = s / n; for (i = 1; i <= n; i++) v += (r[i] - m) ^ 2
    printf "%s new/old: median %.3f, mean %.3f +- %.3f (95%%, %d rounds)\n", name, (n % 2 ? sorted[(n + 1) / 2] : (sorted[n / 2] + sorted[n / 2 + 1]) / 2), m, (n > 1 ? 1.96 * sqrt(v / (n - 1) / n) : 0), n }
  END { report("h1 ", r1); report("h2c", r2) }' $D/rounds
