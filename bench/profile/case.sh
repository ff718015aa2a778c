# Sourced by the profile scripts: from SERVER, TRANSPORT and WL (their arguments), the bench server
# script (SCRIPT), the generator's protocol (PROTO) and arguments (ARGS), and CONNS.
case $SERVER in
  switchboard) SCRIPT=switchboard-server ;;
  corked) SCRIPT=corked-net-server ;;
  net) SCRIPT=net-server ;;
  ws) SCRIPT=ws-server ;;
  uws) SCRIPT=uws-server ;;
  *) echo "unknown server $SERVER" >&2; exit 2 ;;
esac
PROTO=len; [ "$TRANSPORT" = ws ] && PROTO=ws
case $WL in
  echo1) ARGS="--workload echo --conns 100 --inflight 1 --size 32"; CONNS=100 ;;
  echo16) ARGS="--workload echo --conns 1000 --inflight 16 --size 32"; CONNS=1000 ;;
  echo1k) ARGS="--workload echo --conns 100 --inflight 4 --size 1024"; CONNS=100 ;;
  bcast) ARGS="--workload bcast --conns 1000 --size 32 --senders 4"; CONNS=1000 ;;
  *) echo "unknown workload $WL" >&2; exit 2 ;;
esac
