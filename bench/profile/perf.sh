#!/bin/bash
# Where one bench server's time goes under one workload: `perf record -g` of the server (JIT
# frames named through `node --perf-basic-prof`), then the flat profile by symbol and by DSO.
# Issue 11's profiles (kernel against user time, the per-read callback cost, LoadIC) were made so.
#
#   bench/profile/perf.sh SERVER TRANSPORT WORKLOAD [SECONDS]
#     SERVER:    switchboard | corked | net | ws | uws
#     TRANSPORT: tcp | ws
#     WORKLOAD:  echo1 (100 x 1, 32 B) | echo16 (1,000 x 16, 32 B) | echo1k (100 x 4, 1 KiB) | bcast (1,000, 4 senders)
#
# Needs `npm run build`, bench/loadgen/loadgen (built by `npm run bench`) and perf. The data stays
# in /tmp/perf.SERVER.TRANSPORT.WORKLOAD.data for `perf report -i ... -G` (callers).
set -eu
SERVER=$1; TRANSPORT=$2; WL=$3; SECS=${4:-8}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PORT=$((11000 + RANDOM % 8000))
. "$(dirname "$0")/case.sh"
OUT=/tmp/perf.$SERVER.$TRANSPORT.$WL
node --perf-basic-prof "$ROOT/dist/bench/servers/$SCRIPT.js" --transport "$TRANSPORT" --port $PORT > $OUT.log 2>&1 &
SRV=$!
trap 'kill $SRV 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q ready $OUT.log && break; sleep 0.1; done
"$ROOT/bench/loadgen/loadgen" --proto $PROTO --transport tcp --port $PORT $ARGS --warmup 2 --duration $((SECS + 2)) > $OUT.json 2>>$OUT.log &
LG=$!
sleep 2.5
perf record -F 2000 -g -p $SRV -o $OUT.data -- sleep "$SECS" > /dev/null 2>&1
wait $LG
echo "$SERVER $TRANSPORT $WL: $(grep -o '"rate":[0-9.]*' $OUT.json | cut -d: -f2) msg/s ($OUT.data)"
perf report -i $OUT.data --no-children --sort dso -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -6
perf report -i $OUT.data --no-children --sort sym -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -40
