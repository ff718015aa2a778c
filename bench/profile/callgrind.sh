#!/bin/bash
# Instructions per message of one bench server under one workload: the noise-free figure on a
# shared machine, where wall-clock rates move by 30% between runs (issue 11's work was measured so).
#
#   bench/profile/callgrind.sh SERVER TRANSPORT WORKLOAD [WARM_S] [MEASURE_S]
#     SERVER:    switchboard | corked | net | ws | uws      (a script of dist/bench/servers/)
#     TRANSPORT: tcp | ws                                   (the server's; proto len or ws follows)
#     WORKLOAD:  echo1 (100 x 1, 32 B) | echo16 (1,000 x 16, 32 B) | echo1k (100 x 4, 1 KiB) | bcast (1,000, 4 senders)
#
# The server runs under `valgrind --tool=callgrind` with instrumentation off; the generator
# (bench/loadgen, built by `npm run bench`) connects and warms up, then instrumentation is on for
# MEASURE_S seconds only, and the total is divided by the messages the generator received in its
# measured window (which the sleeps here approximate: compare runs of the same script, not
# absolute counts). Needs `npm run build` and valgrind. Output: one line, and the callgrind file
# under /tmp for `callgrind_annotate`.
set -eu
SERVER=$1; TRANSPORT=$2; WL=$3; WARM=${4:-10}; MEAS=${5:-15}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PORT=$((20000 + RANDOM % 20000))
. "$(dirname "$0")/case.sh"
OUT=/tmp/callgrind.$SERVER.$TRANSPORT.$WL.$$
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=$OUT.cg \
  node "$ROOT/dist/bench/servers/$SCRIPT.js" --transport "$TRANSPORT" --port $PORT > $OUT.log 2>&1 &
VG=$!
for _ in $(seq 1 600); do grep -q ready $OUT.log && break; sleep 0.2; done
"$ROOT/bench/loadgen/loadgen" --proto $PROTO --transport tcp --port $PORT $ARGS --warmup "$WARM" --duration "$MEAS" \
  --connect-timeout 300 --stall 60 > $OUT.json 2>>$OUT.log &
LG=$!
# The generator's clock starts once every connection is established.
for _ in $(seq 1 3000); do
  [ "$(ss -Htn state established "( sport = :$PORT )" | wc -l)" -ge "$CONNS" ] && break
  sleep 0.1
done
sleep "$WARM"
callgrind_control -i on $VG > /dev/null
sleep "$MEAS"
callgrind_control -i off $VG > /dev/null
wait $LG
kill -INT $VG; wait $VG || true
IR=$(grep -E '^totals:' $OUT.cg | head -1 | awk '{print $2}')
RECV=$(grep -o '"received":[0-9]*' $OUT.json | cut -d: -f2)
echo "$SERVER $TRANSPORT $WL: $IR instructions, $RECV messages, $(( IR / RECV )) per message ($OUT.cg)"
