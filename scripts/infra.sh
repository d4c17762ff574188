#!/usr/bin/env bash
# Local infrastructure for development and tests: RabbitMQ, FerretDB (MongoDB wire protocol),
# the mail sandbox (Dovecot IMAP/LMTP + an SMTP front) and the SMS sandbox (Kannel's
# bearerbox and smsbox, with fakesmsc as the phones).
#
#   bash scripts/infra.sh up [PART...]      start what is not running, wait until it answers
#   bash scripts/infra.sh down [PART...]    stop what `up` started (pid files in var/run/), keep data
#   bash scripts/infra.sh status [PART...]  show each part and whether it answers
#
# PART: rabbitmq ferretdb dovecot mailsandbox bearerbox smsbox fakesmsc, or the groups
# kannel (= bearerbox smsbox fakesmsc) and mail (= dovecot mailsandbox); default: all.
# A part that already answers is reused as is (no pid file: `down` leaves it alone).
# Data, logs and pid files live under var/ (gitignored); data survives down/up.
#
# Environment:
#   LAPOR_INFRA_PYTHON   interpreter for the SMTP front (default .venv/bin/python; needs aiosmtpd)
#                        and the fakesmsc driver (standard library only; else python3)
#   LAPOR_INFRA_WAIT     seconds to wait for each part to answer (default 60)
#   LAPOR_KANNEL_GET_URL_BASE  where smsbox sends inbound SMS (default http://127.0.0.1:8000,
#                        intake): GET $BASE/sms/kannel?from=%p&to=%P&text=%a&id=%I. Read when
#                        smsbox starts: `down kannel` then `up kannel` to change it.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR="$REPO/var"
RUN="$VAR/run"
LOG="$VAR/log"
WAIT_SECS="${LAPOR_INFRA_WAIT:-60}"
PARTS=(rabbitmq ferretdb dovecot mailsandbox bearerbox smsbox fakesmsc)

FERRETDB_BIN="$VAR/bin/ferretdb"
RABBITMQ_LIB_BIN=/usr/lib/rabbitmq/bin
# The Debian wrappers in /usr/sbin switch to the rabbitmq user; the node runs as root here,
# with HOME pointing at the rabbitmq user's home so that it shares that user's Erlang cookie:
# plain `rabbitmqctl` (as root, through the wrapper) and the direct CLI both authenticate.
RABBITMQ_COOKIE_HOME=/var/lib/rabbitmq

KANNEL_DIR="$VAR/kannel"
KANNEL_CONF="$KANNEL_DIR/kannel.conf"
KANNEL_ADMIN_PASSWORD=lapor-dev  # as in deploy/local/kannel.conf
FAKESMSC_BIN=/usr/lib/kannel/test/fakesmsc
KANNEL_GET_URL_BASE="${LAPOR_KANNEL_GET_URL_BASE:-http://127.0.0.1:8000}"
KANNEL_GET_URL_BASE="${KANNEL_GET_URL_BASE%/}"

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
        bearerbox) echo 13000 ;;
        smsbox) echo 13013 ;;
        fakesmsc) echo 10000 ;;  # bearerbox's fake SMSC port, which fakesmsc connects to
    esac
}

describe() {
    case "$1" in
        rabbitmq) echo "amqp://guest:guest@127.0.0.1:5672/ (management http://127.0.0.1:15672/, metrics http://127.0.0.1:15692/metrics)" ;;
        ferretdb) echo "mongodb://127.0.0.1:27017/lapor (metrics http://127.0.0.1:8088/debug/metrics)" ;;
        dovecot) echo "IMAP 127.0.0.1:1143 (login = address, password lapor-dev), LMTP 127.0.0.1:24024" ;;
        mailsandbox) echo "SMTP 127.0.0.1:2525 (accepts @lapor.test only)" ;;
        bearerbox) echo "Kannel admin http://127.0.0.1:13000/status.txt?password=$KANNEL_ADMIN_PASSWORD, fake SMSC 127.0.0.1:10000" ;;
        smsbox) echo "sendsms http://127.0.0.1:13013/cgi-bin/sendsms (username lapor, password lapor-dev), get-url $(kannel_running_base)/sms/kannel" ;;
        fakesmsc) echo "phones: python3 deploy/local/sms.py (var/kannel/inbound.fifo, outbox.jsonl)" ;;
    esac
}

# What the command line of a process we started must contain (guards against pid reuse).
cmd_pattern() {
    case "$1" in
        rabbitmq) echo "rabbitmq-server" ;;
        ferretdb) echo "ferretdb" ;;
        dovecot) echo "dovecot" ;;
        mailsandbox) echo "mailsandbox.py" ;;
        bearerbox) echo "bearerbox" ;;
        smsbox) echo "smsbox" ;;
        fakesmsc) echo "fakesmsc_driver.py" ;;
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

# bearerbox's status page (plain text), empty if it does not answer.
kannel_status() {
    timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/13000 || exit 1
        printf "GET /status.txt?password=%s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$1" >&3
        cat <&3' _ "$KANNEL_ADMIN_PASSWORD" 2>/dev/null || true
}

# A fakesmsc is connected to bearerbox's fake SMSC (smsc-id fake).
fake_smsc_online() {
    kannel_status | grep -Eq '^[[:space:]]*fake\[fake\].*\(online'
}

# bearerbox has started up (boxes and the fakesmsc client can connect).
bearerbox_running() {
    kannel_status | grep -q '^Status: running'
}

# A smsbox is connected to bearerbox.
smsbox_online() {
    kannel_status | grep -Eq '^[[:space:]]*smsbox:.*on-line'
}

# True if the part answers (its main port, or for fakesmsc: the fake SMSC is online).
part_answers() {  # part
    case "$1" in
        fakesmsc) fake_smsc_online ;;
        *) port_open 127.0.0.1 "$(port_of "$1")" ;;
    esac
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
    for f in "$LOG/$1.log" "$LOG/$1"/*.log "$LOG/kannel/$1.console.log" "$LOG/kannel/$1.log"; do
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
    # synchronous(normal): in WAL mode a commit no longer waits for its own fsync (the log is
    # synced at checkpoints), so a crash of any process loses nothing; an OS crash or power
    # cut can lose the writes since the last checkpoint or kernel writeback (seconds), never
    # corrupts. Fine for development and tests; production runs MongoDB with its own write
    # concern. At the default FULL every write waited for an fsync (docs/performance.md).
    # bench/privstore.py starts its store the same way.
    FERRETDB_TELEMETRY=disable launch ferretdb "$LOG/ferretdb.log" "$FERRETDB_BIN" \
        --handler=sqlite \
        --sqlite-url="file:$VAR/ferretdb/?_pragma=synchronous(normal)" \
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

# Kannel: bearerbox (core, fake SMSC), smsbox (sendsms, get-url), fakesmsc (the phones).
kannel_running_base() {  # get-url base of the rendered configuration (what smsbox runs with)
    if [ -f "$KANNEL_DIR/get-url-base" ]; then cat "$KANNEL_DIR/get-url-base"; else echo "$KANNEL_GET_URL_BASE"; fi
}

render_kannel_conf() {
    command -v bearerbox >/dev/null 2>&1 || [ -x /usr/sbin/bearerbox ] \
        || die "kannel not installed: run scripts/install.sh"
    case "$KANNEL_GET_URL_BASE" in
        http://* | https://*) ;;
        *) die "LAPOR_KANNEL_GET_URL_BASE must start with http:// (got '$KANNEL_GET_URL_BASE')" ;;
    esac
    mkdir -p "$KANNEL_DIR" "$LOG/kannel"
    local repo_esc base_esc
    repo_esc="$(printf '%s' "$REPO" | sed 's/[\\&#]/\\&/g')"
    base_esc="$(printf '%s' "$KANNEL_GET_URL_BASE" | sed 's/[\\&#]/\\&/g')"
    sed -e "s#@REPO@#$repo_esc#g" -e "s#@GET_URL_BASE@#$base_esc#g" \
        "$REPO/deploy/local/kannel.conf" >"$KANNEL_CONF.tmp"
    mv -f "$KANNEL_CONF.tmp" "$KANNEL_CONF"
    printf '%s\n' "$KANNEL_GET_URL_BASE" >"$KANNEL_DIR/get-url-base"
}

start_bearerbox() {
    render_kannel_conf
    # -v 2: only warnings and worse on the console log; Kannel's own logs are
    # var/log/kannel/bearerbox.log and bearerbox-access.log.
    launch bearerbox "$LOG/kannel/bearerbox.console.log" /usr/sbin/bearerbox -v 2 "$KANNEL_CONF"
}

start_smsbox() {
    render_kannel_conf
    # smsbox exits at once if bearerbox does not accept boxes yet.
    local deadline=$((SECONDS + WAIT_SECS))
    until bearerbox_running; do
        [ "$SECONDS" -lt "$deadline" ] || die "bearerbox is not running (http://127.0.0.1:13000/status.txt)"
        sleep 0.1
    done
    launch smsbox "$LOG/kannel/smsbox.console.log" /usr/sbin/smsbox -v 2 "$KANNEL_CONF"
}

start_fakesmsc() {
    [ -x "$FAKESMSC_BIN" ] || die "$FAKESMSC_BIN missing: run scripts/install.sh (kannel-extras)"
    local py="${LAPOR_INFRA_PYTHON:-$REPO/.venv/bin/python}"
    [ -x "$py" ] || py="$(command -v python3)" || die "no Python for deploy/local/fakesmsc_driver.py"
    mkdir -p "$KANNEL_DIR" "$LOG/kannel"
    launch fakesmsc "$LOG/kannel/fakesmsc.log" "$py" -u "$REPO/deploy/local/fakesmsc_driver.py" \
        --state-dir "$KANNEL_DIR" --host 127.0.0.1 --port 10000 --fakesmsc "$FAKESMSC_BIN"
}

# --- commands ---------------------------------------------------------------------------------
# Starts the part unless it runs already; prints nothing to wait for if reused.
ensure_started() {  # part
    local part="$1" port pid
    port="$(port_of "$part")"
    if pid="$(pid_of "$part")"; then
        say "$part: running (pid $pid)"
        if [ "$part" = smsbox ] && [ "$(kannel_running_base)" != "$KANNEL_GET_URL_BASE" ]; then
            warn "smsbox runs with get-url base $(kannel_running_base), not $KANNEL_GET_URL_BASE: run '$0 down smsbox' and up again to change it"
        fi
        return 0
    fi
    if [ -f "$(pidfile "$part")" ]; then
        say "$part: removing stale pid file"
        rm -f "$(pidfile "$part")"
    fi
    if part_answers "$part"; then
        if [ "$part" = fakesmsc ]; then
            say "$part: a client is already connected to the fake SMSC on 127.0.0.1:$port, reusing it"
        else
            say "$part: something already answers on 127.0.0.1:$port, reusing it"
        fi
        return 0
    fi
    say "$part: starting"
    # In a subshell, so that a part that cannot start (die) does not abort the others; the
    # caller runs this with `set +e` (not as an `if` condition, which would disable set -e
    # inside the start function too).
    ( set -e; "start_$part" )
}

wait_ready() {  # part
    local part="$1" port pid deadline extra
    port="$(port_of "$part")"
    deadline=$((SECONDS + WAIT_SECS))
    # A pid file at this point means we started the part (or it ran already): if that
    # process is gone, it died.
    pid=""
    [ -f "$(pidfile "$part")" ] && pid="$(tr -dc 0-9 <"$(pidfile "$part")")"
    local checks=("$port")
    [ "$part" = fakesmsc ] && checks=(fake-smsc-online)
    if [ -n "$pid" ]; then
        # Parts we started must be complete, not just listening on their main port.
        case "$part" in
            rabbitmq) checks+=(15672 15692) ;;
            dovecot) checks+=(24024) ;;
            # Not a raw connect to 13001 or 10000: bearerbox takes any connection there for
            # a box or for the fakesmsc client (and would send it messages).
            bearerbox) checks+=(bearerbox-running) ;;
            smsbox) checks+=(smsbox-online) ;;
        esac
    fi
    for extra in "${checks[@]}"; do
        while ! check_ok "$extra"; do
            if [ -n "$pid" ] && ! alive "$pid"; then
                printf 'infra: ERROR: %s exited before answering (%s)\n' "$part" "$(check_name "$extra")" >&2
                rm -f "$(pidfile "$part")"
                show_logs "$part"
                return 1
            fi
            if [ "$SECONDS" -ge "$deadline" ]; then
                printf 'infra: ERROR: %s does not answer (%s) after %ss\n' \
                    "$part" "$(check_name "$extra")" "$WAIT_SECS" >&2
                show_logs "$part"
                return 1
            fi
            sleep 0.2
        done
    done
}

check_ok() {  # port number or named check
    case "$1" in
        fake-smsc-online) fake_smsc_online ;;
        smsbox-online) smsbox_online ;;
        bearerbox-running) bearerbox_running ;;
        *) port_open 127.0.0.1 "$1" ;;
    esac
}

check_name() {
    case "$1" in
        fake-smsc-online) echo "fakesmsc connected to bearerbox's fake SMSC on 127.0.0.1:10000" ;;
        smsbox-online) echo "smsbox connected to bearerbox" ;;
        bearerbox-running) echo "bearerbox status 'running' on http://127.0.0.1:13000/status.txt" ;;
        *) echo "port 127.0.0.1:$1" ;;
    esac
}

cmd_up() {
    local part failed=() start=$SECONDS f rc
    for part in "${SELECTED[@]}"; do
        if [ "$part" = smsbox ] && [[ " ${failed[*]} " == *" bearerbox "* ]]; then
            warn "smsbox: not started, bearerbox is not ready"
            failed+=(smsbox)
            continue
        fi
        set +e
        ensure_started "$part"
        rc=$?
        set -e
        if [ "$rc" -ne 0 ]; then
            failed+=("$part")
            continue
        fi
        # smsbox needs a running bearerbox: wait for it before starting the next part.
        if [ "$part" = bearerbox ]; then wait_ready bearerbox || failed+=(bearerbox); fi
    done
    for part in "${SELECTED[@]}"; do
        for f in "${failed[@]}"; do [ "$f" = "$part" ] && continue 2; done
        if [ "$part" = fakesmsc ] && [[ " ${failed[*]} " == *" bearerbox "* ]]; then
            # Its driver keeps retrying and connects once bearerbox is up.
            warn "fakesmsc: cannot connect while bearerbox is not ready"
            failed+=(fakesmsc)
            continue
        fi
        wait_ready "$part" || failed+=("$part")
    done
    if [ "${#failed[@]}" -gt 0 ]; then
        cmd_status || true
        die "not ready: ${failed[*]} (logs in $LOG)"
    fi
    say "parts answer: ${SELECTED[*]} ($((SECONDS - start)) s)"
    cmd_status
}

cmd_down() {
    local i part pid f
    for ((i = ${#SELECTED[@]} - 1; i >= 0; i--)); do
        part="${SELECTED[$i]}"
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
    for part in "${SELECTED[@]}"; do
        port="$(port_of "$part")"
        if part_answers "$part"; then state="up"; else state="DOWN"; all_up=1; fi
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

# Parts named on the command line (groups expanded), in PARTS order; all if none.
SELECTED=()
select_parts() {
    local want=() arg p w
    for arg in "$@"; do
        case "$arg" in
            kannel | sms) want+=(bearerbox smsbox fakesmsc) ;;
            mail) want+=(dovecot mailsandbox) ;;
            *)
                for p in "${PARTS[@]}"; do [ "$p" = "$arg" ] && { want+=("$p"); continue 2; }; done
                echo "infra: unknown part '$arg' (parts: ${PARTS[*]}; groups: kannel, mail)" >&2
                exit 2
                ;;
        esac
    done
    if [ "${#want[@]}" -eq 0 ]; then SELECTED=("${PARTS[@]}"); return; fi
    for p in "${PARTS[@]}"; do
        for w in "${want[@]}"; do [ "$p" = "$w" ] && { SELECTED+=("$p"); break; }; done
    done
    return 0
}

main() {
    local cmd="${1:-}"
    case "$cmd" in
        up | down | status) ;;
        *)
            echo "usage: $0 up|down|status [PART...]  (parts: ${PARTS[*]}; groups: kannel, mail)" >&2
            exit 2
            ;;
    esac
    shift
    select_parts "$@"
    mkdir -p "$RUN" "$LOG"
    if [ "$cmd" != status ]; then
        exec 9>"$RUN/infra.lock"
        flock -w 300 9 || die "another infra.sh $cmd is running"
    fi
    "cmd_$cmd"
}

main "$@"
