#!/usr/bin/env bash
# Local infrastructure for development and tests: RabbitMQ, FerretDB (MongoDB wire protocol),
# and the mail sandbox (Dovecot IMAP/LMTP + an SMTP front).
#
#   bash scripts/infra.sh up      start what is not running, wait until it answers
#   bash scripts/infra.sh down    stop what `up` started (pid files in var/run/), keep data
#   bash scripts/infra.sh status  show each part and whether it answers
#
# A part whose port already answers is reused as is (no pid file: `down` leaves it alone).
# Data, logs and pid files live under var/ (gitignored); data survives down/up.
#
# Environment:
#   LAPOR_INFRA_PYTHON   interpreter for the SMTP front (default .venv/bin/python; needs aiosmtpd)
#   LAPOR_INFRA_WAIT     seconds to wait for each part to answer (default 60)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR="$REPO/var"
RUN="$VAR/run"
LOG="$VAR/log"
WAIT_SECS="${LAPOR_INFRA_WAIT:-60}"
PARTS=(rabbitmq ferretdb dovecot mailsandbox)

FERRETDB_BIN="$VAR/bin/ferretdb"
RABBITMQ_LIB_BIN=/usr/lib/rabbitmq/bin
# The Debian wrappers in /usr/sbin switch to the rabbitmq user; the node runs as root here,
# with HOME pointing at the rabbitmq user's home so that it shares that user's Erlang cookie:
# plain `rabbitmqctl` (as root, through the wrapper) and the direct CLI both authenticate.
RABBITMQ_COOKIE_HOME=/var/lib/rabbitmq

say() { printf 'infra: %s\n' "$*"; }
warn() { printf 'infra: WARNING: %s\n' "$*" >&2; }
die() { printf 'infra: ERROR: %s\n' "$*" >&2; exit 1; }

# --- parts ------------------------------------------------------------------------------------
port_of() {
    case "$1" in
        rabbitmq) echo 5672 ;;
        ferretdb) echo 27017 ;;
        dovecot) echo 1143 ;;
        mailsandbox) echo 2525 ;;
    esac
}

describe() {
    case "$1" in
        rabbitmq) echo "amqp://guest:guest@127.0.0.1:5672/ (management http://127.0.0.1:15672/, metrics http://127.0.0.1:15692/metrics)" ;;
        ferretdb) echo "mongodb://127.0.0.1:27017/lapor (metrics http://127.0.0.1:8088/debug/metrics)" ;;
        dovecot) echo "IMAP 127.0.0.1:1143 (login = address, password lapor-dev), LMTP 127.0.0.1:24024" ;;
        mailsandbox) echo "SMTP 127.0.0.1:2525 (accepts @lapor.test only)" ;;
    esac
}

# What the command line of a process we started must contain (guards against pid reuse).
cmd_pattern() {
    case "$1" in
        rabbitmq) echo "rabbitmq-server" ;;
        ferretdb) echo "ferretdb" ;;
        dovecot) echo "dovecot" ;;
        mailsandbox) echo "mailsandbox.py" ;;
    esac
}

stop_timeout() {
    case "$1" in
        rabbitmq) echo 60 ;;
        *) echo 20 ;;
    esac
}

# --- helpers ----------------------------------------------------------------------------------
port_open() {  # host port
    timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

alive() {  # pid: running and not a zombie
    local state
    [ -r "/proc/$1/stat" ] || return 1
    state="$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$1/stat" 2>/dev/null)" || return 1
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

group_alive() {  # pgid: any live member
    local p
    for p in $(pgrep -g "$1" 2>/dev/null || true); do
        alive "$p" && return 0
    done
    return 1
}

pidfile() { echo "$RUN/$1.pid"; }

# Prints the pid from the part's pid file if that process is alive and is ours.
pid_of() {
    local f pid
    f="$(pidfile "$1")"
    [ -f "$f" ] || return 1
    pid="$(tr -dc 0-9 <"$f")"
    [ -n "$pid" ] && alive "$pid" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$(cmd_pattern "$1")" || return 1
    echo "$pid"
}

# Runs a command detached (own session and process group), output appended to a log,
# and records its pid.
launch() {  # part logfile cmd...
    local part="$1" logf="$2"
    shift 2
    (
        exec 9>&-  # do not inherit the infra lock
        cd "$VAR"
        exec setsid "$@" </dev/null >>"$logf" 2>&1
    ) &
    echo "$!" >"$(pidfile "$part")"
}

stop_pid() {  # part pid
    local part="$1" pid="$2" t pgid
    t="$(stop_timeout "$part")"
    pgid="$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ' || true)"
    [ "$pgid" = "$pid" ] || pgid=""
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + t))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if ! alive "$pid" && { [ -z "$pgid" ] || ! group_alive "$pgid"; }; then
            return 0
        fi
        sleep 0.2
    done
    warn "$part (pid $pid) did not stop within ${t}s, killing"
    if [ -n "$pgid" ]; then kill -KILL -- "-$pgid" 2>/dev/null || true; fi
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
}

show_logs() {  # part
    local f
    for f in "$LOG/$1.log" "$LOG/$1"/*.log; do
        [ -f "$f" ] || continue
        printf -- '--- last lines of %s ---\n' "$f" >&2
        tail -n 30 "$f" >&2
    done
}

# --- starting each part -----------------------------------------------------------------------
rabbitmq_node() {
    local host
    host="$(hostname -s 2>/dev/null || hostname)"
    if getent hosts "$host" >/dev/null 2>&1; then echo "rabbit@$host"; else echo "rabbit@localhost"; fi
}

ensure_erlang_cookie() {
    local cookie="$RABBITMQ_COOKIE_HOME/.erlang.cookie"
    [ -s "$cookie" ] && return 0
    say "rabbitmq: creating Erlang cookie $cookie"
    mkdir -p "$RABBITMQ_COOKIE_HOME"
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr '0-9a-f' 'A-P' | cut -c1-20 >"$cookie"
    chmod 400 "$cookie"
    chown rabbitmq:rabbitmq "$cookie" 2>/dev/null || true
}

rabbitmq_env() {
    export RABBITMQ_NODENAME
    RABBITMQ_NODENAME="$(rabbitmq_node)"
    export RABBITMQ_CONFIG_FILE="$REPO/deploy/local/rabbitmq.conf"
    export RABBITMQ_MNESIA_BASE="$VAR/rabbitmq/mnesia"
    export RABBITMQ_LOG_BASE="$LOG/rabbitmq"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$VAR/rabbitmq/enabled_plugins"
    export RABBITMQ_PID_FILE="$VAR/rabbitmq/beam.pid"
    export ERL_CRASH_DUMP="$LOG/rabbitmq/erl_crash.dump"
    export HOME="$RABBITMQ_COOKIE_HOME"
}

start_rabbitmq() {
    [ -x "$RABBITMQ_LIB_BIN/rabbitmq-server" ] || die "rabbitmq-server not installed: run scripts/install.sh"
    mkdir -p "$VAR/rabbitmq/mnesia" "$LOG/rabbitmq"
    ensure_erlang_cookie
    # Same content `rabbitmq-plugins enable --offline` would write.
    echo '[rabbitmq_management,rabbitmq_prometheus].' >"$VAR/rabbitmq/enabled_plugins"
    (
        rabbitmq_env
        launch rabbitmq "$LOG/rabbitmq.log" "$RABBITMQ_LIB_BIN/rabbitmq-server"
    )
}

start_ferretdb() {
    [ -x "$FERRETDB_BIN" ] || die "$FERRETDB_BIN missing: run scripts/install.sh"
    mkdir -p "$VAR/ferretdb" "$VAR/ferretdb-state"
    FERRETDB_TELEMETRY=disable launch ferretdb "$LOG/ferretdb.log" "$FERRETDB_BIN" \
        --handler=sqlite \
        --sqlite-url="file:$VAR/ferretdb/" \
        --listen-addr=127.0.0.1:27017 \
        --debug-addr=127.0.0.1:8088 \
        --state-dir="$VAR/ferretdb-state" \
        --telemetry=disable \
        --log-level=info
}

start_dovecot() {
    command -v dovecot >/dev/null 2>&1 || die "dovecot not installed: run scripts/install.sh"
    mkdir -p "$VAR/dovecot/state" "$RUN/dovecot" "$VAR/mail"
    # Mailboxes belong to the unprivileged mail user (the static userdb maps everyone to it).
    chown mail:mail "$VAR/mail"
    if ! runuser -u mail -- test -w "$VAR/mail" 2>/dev/null; then
        warn "user 'mail' cannot write $VAR/mail (a parent directory is not traversable?): delivery will fail"
    fi
    local conf="$VAR/dovecot/dovecot.conf" repo_esc
    repo_esc="$(printf '%s' "$REPO" | sed 's/[\\&#]/\\&/g')"
    sed "s#@REPO@#$repo_esc#g" "$REPO/deploy/local/dovecot.conf" >"$conf.tmp"
    mv -f "$conf.tmp" "$conf"
    doveconf -c "$conf" -n >/dev/null || die "invalid Dovecot configuration $conf"
    # Left by a killed instance; Dovecot refuses to start if its pid got reused meanwhile.
    rm -f "$RUN/dovecot/master.pid"
    launch dovecot "$LOG/dovecot.log" dovecot -F -c "$conf"
}

start_mailsandbox() {
    local py="${LAPOR_INFRA_PYTHON:-$REPO/.venv/bin/python}"
    [ -x "$py" ] || die "$py missing: run scripts/install.sh (or set LAPOR_INFRA_PYTHON)"
    "$py" -c 'import aiosmtpd' 2>/dev/null \
        || die "$py cannot import aiosmtpd: run scripts/install.sh (or set LAPOR_INFRA_PYTHON)"
    launch mailsandbox "$LOG/mailsandbox.log" "$py" "$REPO/deploy/local/mailsandbox.py"
}

# --- commands ---------------------------------------------------------------------------------
# Starts the part unless it runs already; prints nothing to wait for if reused.
ensure_started() {  # part
    local part="$1" port pid
    port="$(port_of "$part")"
    if pid="$(pid_of "$part")"; then
        say "$part: running (pid $pid)"
        return 0
    fi
    if [ -f "$(pidfile "$part")" ]; then
        say "$part: removing stale pid file"
        rm -f "$(pidfile "$part")"
    fi
    if port_open 127.0.0.1 "$port"; then
        say "$part: something already answers on 127.0.0.1:$port, reusing it"
        return 0
    fi
    say "$part: starting"
    "start_$part"
}

wait_ready() {  # part
    local part="$1" port pid deadline extra
    port="$(port_of "$part")"
    deadline=$((SECONDS + WAIT_SECS))
    # A pid file at this point means we started the part (or it ran already): if that
    # process is gone, it died.
    pid=""
    [ -f "$(pidfile "$part")" ] && pid="$(tr -dc 0-9 <"$(pidfile "$part")")"
    local ports=("$port")
    if [ -n "$pid" ]; then
        # Parts we started must be complete, not just listening on their main port.
        case "$part" in
            rabbitmq) ports+=(15672 15692) ;;
            dovecot) ports+=(24024) ;;
        esac
    fi
    for extra in "${ports[@]}"; do
        while ! port_open 127.0.0.1 "$extra"; do
            if [ -n "$pid" ] && ! alive "$pid"; then
                printf 'infra: ERROR: %s exited before answering on port %s\n' "$part" "$extra" >&2
                rm -f "$(pidfile "$part")"
                show_logs "$part"
                return 1
            fi
            if [ "$SECONDS" -ge "$deadline" ]; then
                printf 'infra: ERROR: %s does not answer on 127.0.0.1:%s after %ss\n' \
                    "$part" "$extra" "$WAIT_SECS" >&2
                show_logs "$part"
                return 1
            fi
            sleep 0.2
        done
    done
}

cmd_up() {
    local part failed=() start=$SECONDS
    for part in "${PARTS[@]}"; do ensure_started "$part"; done
    for part in "${PARTS[@]}"; do wait_ready "$part" || failed+=("$part"); done
    if [ "${#failed[@]}" -gt 0 ]; then
        die "not ready: ${failed[*]} (logs in $LOG)"
    fi
    say "all parts answer ($((SECONDS - start)) s)"
    cmd_status
}

cmd_down() {
    local i part pid f
    for ((i = ${#PARTS[@]} - 1; i >= 0; i--)); do
        part="${PARTS[$i]}"
        f="$(pidfile "$part")"
        if pid="$(pid_of "$part")"; then
            say "$part: stopping (pid $pid)"
            stop_pid "$part" "$pid"
            rm -f "$f"
        elif [ -f "$f" ]; then
            say "$part: removing stale pid file"
            rm -f "$f"
        else
            say "$part: not started by infra.sh, leaving it alone"
        fi
    done
}

cmd_status() {
    local part port pid state all_up=0 how
    for part in "${PARTS[@]}"; do
        port="$(port_of "$part")"
        if port_open 127.0.0.1 "$port"; then state="up"; else state="DOWN"; all_up=1; fi
        if pid="$(pid_of "$part")"; then
            how="pid $pid, started by infra.sh"
        elif [ "$state" = up ]; then
            how="not started by infra.sh"
        else
            how="not running"
        fi
        printf '  %-12s %-5s %s  [%s]\n' "$part" "$state" "$(describe "$part")" "$how"
    done
    return "$all_up"
}

main() {
    local cmd="${1:-}"
    case "$cmd" in
        up | down | status) ;;
        *)
            echo "usage: $0 up|down|status" >&2
            exit 2
            ;;
    esac
    mkdir -p "$RUN" "$LOG"
    if [ "$cmd" != status ]; then
        exec 9>"$RUN/infra.lock"
        flock -w 300 9 || die "another infra.sh $cmd is running"
    fi
    "cmd_$cmd"
}

main "$@"
