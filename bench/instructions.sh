#!/usr/bin/env bash
# bench/instructions.sh OLD NEW [ROUNDS] [REQUESTS] - instructions per proxied request of two Baton
# executables, counted by valgrind's callgrind (for "the hot path does not get slower").
#
# Why: requests per CPU-second on this shared 2-core machine moves by up to 2x between minutes, and
# even two copies of one build loaded at the same moment (bench/ab.sh OLD OLD) differ by ~3 %.
# Instructions executed do not depend on what the neighbours do; run under callgrind the same
# build gives the same count within ~1-2 % (the rest: how many requests each epoll wake-up finds).
#
# Each round starts OLD then NEW under callgrind (one at a time, DOTNET_PROCESSOR_COUNT=1), warms
# it (3,000 HTTP/1.1 and 3,000 h2c requests), then zeroes the counters, sends REQUESTS (default
# 2,000) with h2load --h1 -c10 and dumps, and the same with h2c -c10 -m10. Instructions are the
# whole process's (Kestrel, YARP, HttpClient, GC, Baton). Prints one line per build and round, then
# new / old of the means. An nginx upstream returns 200 "ok". Ports 24000-24003 on 127.0.0.1.
# Needs valgrind, nginx and h2load (installed from Debian when missing). Takes ~1 min per build and round.
set -euo pipefail
OLD=$1 NEW=$2 ROUNDS=${3:-3} N=${4:-2000}
missing=()
command -v valgrind >/dev/null || missing+=(valgrind)
command -v nginx >/dev/null || missing+=(nginx)
command -v h2load >/dev/null || missing+=(nghttp2-client)
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
for port in 24000 24001 24002 24003; do
  if ss -Hltn "sport = :$port" | grep -q .; then
    echo "instructions.sh: 127.0.0.1:$port is in use (another run?); it measures only what it starts" >&2; exit 1
  fi
done
D=$(mktemp -d /tmp/instructions.XXXX)
trap 'kill -TERM -- -$UP 2>/dev/null || true; rm -rf $D' EXIT
mkdir -p $D/origin $D/old $D/new
# valgrind 3.19 cannot read the Native AOT build's separate baton.dbg: copy the executable alone.
cp "$OLD" $D/old/baton; cp "$NEW" $D/new/baton
. "$(dirname "$0")/tools/origin.sh"
start_origin $D/origin 24000; UP=$ORIGIN_PID
cat > $D/baton.json <<C
{"Baton":{"Listeners":{"public":{"Address":"127.0.0.1:24001","Protocols":"Http1"},"h2c":{"Address":"127.0.0.1:24002","Protocols":"Http2"}},
 "Admin":{"Address":"127.0.0.1:24003"},"AccessLog":{"Enabled":false},
 "Lifecycle":{"DrainTimeout":"00:00:10","ShutdownGracePeriod":"00:00:00","EnableZeroDowntime":false}},
 "ReverseProxy":{"Routes":{"all":{"ClusterId":"app","Match":{"Path":"{**catch-all}"}}},
 "Clusters":{"app":{"Destinations":{"a":{"Address":"http://127.0.0.1:24000/"}}}}}}
C
count() { # label -> "label h1 I h2c I" (instructions per request)
  local out=$D/cg.$1
  DOTNET_PROCESSOR_COUNT=1 valgrind --tool=callgrind --callgrind-out-file=$out.%p $D/$1/baton run --config $D/baton.json >$D/$1.log 2>&1 &
  local p=$!
  for i in $(seq 240); do curl -fs http://127.0.0.1:24001/ >/dev/null 2>&1 && break; sleep 0.5; done
  if ! kill -0 $p 2>/dev/null || ! curl -fs http://127.0.0.1:24001/ >/dev/null; then
    echo "instructions.sh: $1 did not start: $(tail -3 $D/$1.log)" >&2; exit 1
  fi
  h2load --h1 -n 3000 -c 10 http://127.0.0.1:24001/ >/dev/null; h2load -n 3000 -c 10 -m 10 http://127.0.0.1:24002/ >/dev/null
  one() { callgrind_control -z $p >/dev/null 2>&1; "$@" >/dev/null; callgrind_control -d $p >/dev/null 2>&1
    local f; f=$(ls -t $out.$p.* | head -1); awk -v n=$N '/^(summary|totals):/ { printf "%.0f", $2 / n; exit }' $f; rm -f $f; }
  local a b
  a=$(one h2load --h1 -n $N -c 10 http://127.0.0.1:24001/); b=$(one h2load -n $N -c 10 -m 10 http://127.0.0.1:24002/)
  kill -TERM $p; wait $p 2>/dev/null || true; rm -f $out.*
  echo "$1 h1 $a h2c $b"
}
for r in $(seq $ROUNDS); do count old; count new; done | tee $D/rounds
awk '{ s[$1, "h1"] += $3; s[$1, "h2c"] += $5; n[$1]++ }
  END { for (k in n) printf "%s mean: h1 %.0f, h2c %.0f instructions per request\n", k, s[k, "h1"] / n[k], s[k, "h2c"] / n[k]
        printf "new/old: h1 %.3f, h2c %.3f\n", (s["new", "h1"] / n["new"]) / (s["old", "h1"] / n["old"]), (s["new", "h2c"] / n["new"]) / (s["old", "h2c"] / n["old"]) }' $D/rounds
