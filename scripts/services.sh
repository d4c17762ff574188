#!/usr/bin/env bash
# Start/stop the four Lapor services as background processes (pids and logs under var/).
#   scripts/services.sh up|down|status
# `up` is idempotent: a service whose /healthz answers is left alone; a crashed one is restarted.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PY=${LAPOR_PYTHON:-$REPO/.venv/bin/python}
RUN=$REPO/var/run
LOG=$REPO/var/log
mkdir -p "$RUN" "$LOG"

SERVICES=(intake:8000 routing:8001 sla:8002 notify:8003)
# The local store is FerretDB: every client gets a pool limit, so that the four services
# together stay well under the pool at which FerretDB v1 deadlocks (docs/reliability.md).
export LAPOR_MONGODB_URL="${LAPOR_MONGODB_URL:-mongodb://127.0.0.1:27017/lapor?maxPoolSize=10}"

port_of() {
  local name=$1 default=$2 var
  var="LAPOR_$(echo "$name" | tr a-z A-Z)_PORT"
  echo "${!var:-$default}"
}

healthy() { curl -fsS -m 2 "http://127.0.0.1:$1/healthz" >/dev/null 2>&1; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_one() {
  local name=$1 port=$2 pidfile=$RUN/svc-$1.pid
  if healthy "$port"; then
    echo "  $name: already answering on :$port"
    return 0
  fi
  if pid_alive "$pidfile"; then
    echo "  $name: running (pid $(cat "$pidfile")), waiting for health"
  else
    rm -f "$pidfile"
    nohup "$PY" -m "services.$name" >>"$LOG/$name.log" 2>&1 &
    echo $! >"$pidfile"
    echo "  $name: started (pid $!), log var/log/$name.log"
  fi
}

wait_healthy() {
  local name=$1 port=$2 deadline=$((SECONDS + 60))
  until healthy "$port"; do
    if [ $SECONDS -ge $deadline ] || ! pid_alive "$RUN/svc-$name.pid"; then
      echo "  $name did not become healthy on :$port; last log lines:" >&2
      tail -n 30 "$LOG/$name.log" >&2 || true
      return 1
    fi
    sleep 0.5
  done
}

stop_one() {
  local name=$1 pidfile=$RUN/svc-$1.pid pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "  $name: stopped"
  fi
  rm -f "$pidfile"
}

case "${1:-}" in
  up)
    for entry in "${SERVICES[@]}"; do
      name=${entry%%:*}; start_one "$name" "$(port_of "$name" "${entry##*:}")"
    done
    for entry in "${SERVICES[@]}"; do
      name=${entry%%:*}; wait_healthy "$name" "$(port_of "$name" "${entry##*:}")"
    done
    ;;
  down)
    for entry in "${SERVICES[@]}"; do stop_one "${entry%%:*}"; done
    ;;
  status)
    for entry in "${SERVICES[@]}"; do
      name=${entry%%:*}; port=$(port_of "$name" "${entry##*:}")
      if healthy "$port"; then echo "  $name :$port healthy"; else echo "  $name :$port DOWN"; fi
    done
    ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
