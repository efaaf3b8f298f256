#!/usr/bin/env bash
# Serve a class on every core: N Streamlit workers on loopback ports behind HAProxy on one port, in the foreground.
#
#   scripts/serve.sh [--workers N] [--port P] [--bind ADDR] [--worker-port BASE] [--run-dir DIR] [--pin auto|off]
#                    [--config-only]
#
# --workers N      Streamlit processes (default: one per core, nproc). One process runs every session's script
#                  under one GIL, so it uses one core however many the server has.
# --pin auto|off   auto (default): when N is a multiple of the cores, each worker runs on one core only (worker k
#                  on core k-1, mod cores): its GIL hand-offs stay on one core (deploy/worker_boot.py). off: not.
# --port P         Where students connect (default 8501); HAProxy listens there.
# --bind ADDR      Address HAProxy listens on (default: all); workers always listen on 127.0.0.1 only.
# --worker-port B  Worker k listens on B+k-1 (default P+1).
# --run-dir DIR    The HAProxy config, its admin socket and pid, the workers' logs and a `workers` file (name
#                  port pid per line) go there (default: a fresh temporary directory, removed on exit).
# --config-only    Print the HAProxy config and exit.
#
# Stickiness is by an inserted cookie (SERVERID), health checks hit /_stcore/health every second, websockets get
# a 2 h tunnel timeout. Every worker shares one server.cookieSecret: $LSTM_EXPLORER_COOKIE_SECRET, else one
# generated per start. A worker takes no student until it is warm: HAProxy starts it in maintenance, and it is
# enabled (admin socket) only after its /_stcore/health answers and one session has opened Home and Gates over
# its websocket (imports, the default run in its cache). A worker that dies is taken out within ~2 s,
# restarted, warmed and enabled again. The workers share trainings (one per key) and export slots through
# $LSTM_EXPLORER_CACHE_DIR (default: the run directory's cache/). SIGTERM or Ctrl-C stops HAProxy and every
# worker (each in its own process group, so anything a worker started goes with it). `streamlit run app.py`
# still serves one student or a small class alone.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

WORKERS=$(nproc)
PORT=8501
BIND=""
WORKER_PORT=""
RUN_DIR=""
PIN=auto
CONFIG_ONLY=0
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) WORKERS=${2:?--workers needs a number}; shift 2 ;;
    --port) PORT=${2:?--port needs a number}; shift 2 ;;
    --bind) BIND=${2:?--bind needs an address}; shift 2 ;;
    --worker-port) WORKER_PORT=${2:?--worker-port needs a number}; shift 2 ;;
    --run-dir) RUN_DIR=${2:?--run-dir needs a directory}; shift 2 ;;
    --pin) PIN=${2:?--pin needs auto or off}; shift 2 ;;
    --config-only) CONFIG_ONLY=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "serve.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
for value in "$WORKERS" "$PORT" ${WORKER_PORT:+"$WORKER_PORT"}; do
  case "$value" in '' | *[!0-9]*) echo "serve.sh: $value is not a whole number" >&2; exit 2 ;; esac
done
case "$PIN" in auto | off) ;; *) echo "serve.sh: --pin $PIN is not auto or off" >&2; exit 2 ;; esac
if [ "$WORKERS" -lt 1 ] || [ "$WORKERS" -gt 64 ]; then
  echo "serve.sh: --workers $WORKERS is outside 1..64" >&2
  exit 2
fi
WORKER_PORT=${WORKER_PORT:-$((PORT + 1))}

PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
HAPROXY=${HAPROXY:-$(command -v haproxy || echo /usr/sbin/haproxy)}
if [ ! -x "$PYTHON" ]; then
  echo "serve.sh: no $PYTHON; run scripts/setup.sh first" >&2
  exit 1
fi

OWN_RUN_DIR=0
if [ -z "$RUN_DIR" ]; then
  RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/lstm-serve.XXXXXX")
  OWN_RUN_DIR=1
fi
mkdir -p "$RUN_DIR"
RUN_DIR=$(cd "$RUN_DIR" && pwd)

servers=()
for ((k = 1; k <= WORKERS; k++)); do
  servers+=(--server "w$k=127.0.0.1:$((WORKER_PORT + k - 1))")
done
"$PYTHON" deploy/worker_ctl.py render --bind "$BIND:$PORT" --stats-socket "$RUN_DIR/haproxy.sock" --disabled \
  "${servers[@]}" >"$RUN_DIR/haproxy.cfg"
if [ "$CONFIG_ONLY" = 1 ]; then
  cat "$RUN_DIR/haproxy.cfg"
  [ "$OWN_RUN_DIR" = 1 ] && rm -rf "$RUN_DIR"
  exit 0
fi
if [ ! -x "$HAPROXY" ]; then
  echo "serve.sh: HAProxy is not installed (apt-get install -y --no-install-recommends haproxy)" >&2
  exit 1
fi
"$HAPROXY" -c -q -f "$RUN_DIR/haproxy.cfg"
# A port already taken would make a worker fail and be restarted forever: refuse to start instead.
for port in "$PORT" $(seq "$WORKER_PORT" $((WORKER_PORT + WORKERS - 1))); do
  if (: </dev/tcp/127.0.0.1/"$port") 2>/dev/null; then
    echo "serve.sh: port $port is already in use (pick others with --port / --worker-port)" >&2
    exit 1
  fi
done

# One secret for every worker (Streamlit reads STREAMLIT_SERVER_COOKIE_SECRET); never on a command line.
export STREAMLIT_SERVER_COOKIE_SECRET=${LSTM_EXPLORER_COOKIE_SECRET:-$("$PYTHON" -c 'import secrets; print(secrets.token_hex(32))')}
# Trainings (one per key) and export slots shared by every worker: lstm_viz/server/file_slots.py.
export LSTM_EXPLORER_CACHE_DIR=${LSTM_EXPLORER_CACHE_DIR:-$RUN_DIR/cache}
# One core per worker: torch's own thread pool would make N workers fight over the same cores.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
export PYTHONUNBUFFERED=1

declare -a PID WARM ENABLED
HAPROXY_PID=""

log() { echo "serve.sh: $*" >&2; }

write_workers() {
  local k
  : >"$RUN_DIR/workers.tmp"
  for ((k = 1; k <= WORKERS; k++)); do
    echo "w$k $((WORKER_PORT + k - 1)) ${PID[k]:-0}" >>"$RUN_DIR/workers.tmp"
  done
  mv -f "$RUN_DIR/workers.tmp" "$RUN_DIR/workers"
}

haproxy_cmd() { "$PYTHON" deploy/worker_ctl.py haproxy "$RUN_DIR/haproxy.sock" "$1" >/dev/null 2>&1 || true; }

start_worker() {
  local k=$1 port=$((WORKER_PORT + $1 - 1))
  # setsid: the worker leads its own process group, so stopping the group also stops a Chromium it started.
  # worker_boot.py is `streamlit run` with a failover fix (a fresh session's first click in a fragment), pinned
  # to its core by its slot (k/N) unless --pin off.
  local slot="$k/$WORKERS"
  [ "$PIN" = off ] && slot=""
  LSTM_EXPLORER_WORKER_SLOT=$slot setsid "$PYTHON" deploy/worker_boot.py app.py --server.port "$port" \
    --server.address 127.0.0.1 --server.headless true >>"$RUN_DIR/w$k.log" 2>&1 &
  PID[k]=$!
  ENABLED[k]=0
  # Warmed in the background (the supervisor keeps watching the others): health, then Home and Gates.
  "$PYTHON" deploy/worker_ctl.py warm --port "$port" --page "" --page gates --page code --timeout 240 \
    >>"$RUN_DIR/w$k.log" 2>&1 &
  WARM[k]=$!
  write_workers
}

stop_group() {
  local pid=$1
  [ -n "$pid" ] && [ "$pid" != 0 ] || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
}

cleanup() {
  local k t pids=()
  trap - TERM INT
  for ((k = 1; k <= WORKERS; k++)); do
    [ -n "${WARM[k]:-}" ] && kill -TERM "${WARM[k]}" 2>/dev/null || true
    stop_group "${PID[k]:-}"
    [ -n "${PID[k]:-}" ] && pids+=("${PID[k]}")
  done
  if [ -n "$HAPROXY_PID" ]; then
    kill -TERM "$HAPROXY_PID" 2>/dev/null || true
    pids+=("$HAPROXY_PID")
  fi
  # Up to 10 s to close cleanly, then everything left is killed (process groups, so no orphans).
  for ((t = 0; t < 100; t++)); do
    local alive=0 p
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for ((k = 1; k <= WORKERS; k++)); do
    [ -n "${PID[k]:-}" ] && kill -KILL -- "-${PID[k]}" 2>/dev/null || true
  done
  [ -n "$HAPROXY_PID" ] && kill -KILL "$HAPROXY_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  if [ "$OWN_RUN_DIR" = 1 ]; then rm -rf "$RUN_DIR"; else rm -f "$RUN_DIR/haproxy.sock"; fi
  log "stopped"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

for ((k = 1; k <= WORKERS; k++)); do start_worker "$k"; done
"$HAPROXY" -db -f "$RUN_DIR/haproxy.cfg" &
HAPROXY_PID=$!
echo "$HAPROXY_PID" >"$RUN_DIR/haproxy.pid"
log "starting $WORKERS worker(s) on 127.0.0.1:$WORKER_PORT.. behind http://${BIND:-0.0.0.0}:$PORT (run dir $RUN_DIR)"

READY=0
while :; do
  if ! kill -0 "$HAPROXY_PID" 2>/dev/null; then
    log "HAProxy exited; stopping"
    exit 1
  fi
  for ((k = 1; k <= WORKERS; k++)); do
    if [ -n "${WARM[k]:-}" ] && ! kill -0 "${WARM[k]}" 2>/dev/null; then
      if wait "${WARM[k]}"; then
        haproxy_cmd "enable server workers/w$k"
        ENABLED[k]=1
        log "w$k (pid ${PID[k]}, port $((WORKER_PORT + k - 1))) is warm and takes sessions"
      else
        log "w$k did not warm up (see $RUN_DIR/w$k.log); restarting it"
        stop_group "${PID[k]}"
      fi
      WARM[k]=""
    fi
    if ! kill -0 "${PID[k]}" 2>/dev/null; then
      wait "${PID[k]}" 2>/dev/null && rc=0 || rc=$?
      log "w$k (pid ${PID[k]}) exited with $rc; restarting it"
      haproxy_cmd "disable server workers/w$k"
      # Anything it left in its process group (a Chromium) goes too.
      kill -KILL -- "-${PID[k]}" 2>/dev/null || true
      [ -n "${WARM[k]:-}" ] && kill -TERM "${WARM[k]}" 2>/dev/null || true
      WARM[k]=""
      start_worker "$k"
    fi
  done
  if [ "$READY" = 0 ]; then
    enabled=0
    for ((k = 1; k <= WORKERS; k++)); do enabled=$((enabled + ENABLED[k])); done
    if [ "$enabled" = "$WORKERS" ]; then
      READY=1
      echo "serve.sh: ready: $WORKERS worker(s) behind http://${BIND:-0.0.0.0}:$PORT"
    fi
  fi
  sleep 0.5 &
  wait $! 2>/dev/null || true
done
