#!/usr/bin/env bash
# Installs what the local development setup needs; idempotent and quick when all is there.
#   - Debian packages: rabbitmq-server, dovecot-imapd, dovecot-lmtpd, kannel, kannel-extras
#     (kannel-extras has fakesmsc, the fake SMS center of the local SMS sandbox)
#   - FerretDB v1.24.2 at var/bin/ferretdb (built from the Go module proxy if missing)
#   - Python virtualenv .venv with the project installed editable, with the dev extra
# Usage: bash scripts/install.sh
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

FERRETDB_VERSION="v1.24.2"
FERRETDB_MODULE="github.com/FerretDB/FerretDB"
FERRETDB_BIN="$REPO/var/bin/ferretdb"
APT_PACKAGES=(rabbitmq-server dovecot-imapd dovecot-lmtpd kannel kannel-extras)
# Prometheus (with promtool) and Alertmanager (amtool): tests/ops scrapes the services with a real
# Prometheus and checks the rules and the Alertmanager configuration.
APT_PACKAGES+=(prometheus prometheus-alertmanager)
# Debian's Chromium, driven by Playwright (from PyPI) in the browser tests; never
# `playwright install` (no downloads at run time).
APT_PACKAGES+=(chromium)
# PostgreSQL: the backend of the chaos tier's FerretDB (tests/chaos creates, starts and
# removes a cluster of its own; nothing runs from the package's own cluster).
APT_PACKAGES+=(postgresql)

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: ERROR: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# --- Debian packages -------------------------------------------------------------------
apt_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

install_apt() {
    local missing=() p
    for p in "$@"; do apt_installed "$p" || missing+=("$p"); done
    if [ "${#missing[@]}" -eq 0 ]; then
        say "apt: $* already installed"
        return 0
    fi
    say "apt: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    # Post-install scripts cannot start services here (no init system); that is expected,
    # scripts/infra.sh starts them.
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        || die "apt-get install ${missing[*]} failed"
}

install_apt "${APT_PACKAGES[@]}"

# --- FerretDB ----------------------------------------------------------------------------
# Our build of FerretDB carries one patch (see build_ferretdb); the stamp beside the binary
# names it, so a machine with an older build rebuilds.
FERRETDB_PATCHES="sqlite-id-index-v1"

ferretdb_ok() {  # $1 = binary; true if it runs, reports the expected version, has our patch
    [ -x "$1" ] || return 1
    [ "$(cat "$1.patches" 2>/dev/null)" = "$FERRETDB_PATCHES" ] || return 1
    local out
    out="$("$1" --version 2>/dev/null)" || return 1
    grep -qx "version: $FERRETDB_VERSION" <<<"$out"
}

build_ferretdb() {
    # `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` produces a binary that
    # panics at start ("Invalid build/version/version.txt file content"): the module zip
    # lacks the generated build/version/version.txt. So build from a copy of the module
    # source with that file written.
    #
    # One patch: the SQLite backend looks documents up by `_ferretdb_sjson->'$._id'` while
    # its unique _id index is on `_ferretdb_sjson->"_id"`; SQLite matches index expressions
    # literally, so every lookup, update and delete by _id scanned and JSON-parsed the whole
    # table (measured: 2.1 s per find_one on 600 documents of 60 KB; 0.1 s patched, the
    # index used). The patch makes the lookup expression the index's.
    if ! command -v go >/dev/null 2>&1; then
        [ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
    fi
    command -v go >/dev/null 2>&1 || die "Go is required to build FerretDB (need go >= 1.21)"
    local tmp src
    tmp="$(mktemp -d)"
    # shellcheck disable=SC2064
    trap "chmod -R u+w '$tmp' 2>/dev/null; rm -rf '$tmp'" EXIT
    for toolchain in "" "go1.24.3"; do
        say "ferretdb: building $FERRETDB_VERSION with $(go version | cut -d' ' -f3)${toolchain:+ (GOTOOLCHAIN=$toolchain)}"
        if src="$(cd "$tmp" && GOTOOLCHAIN="${toolchain:-$(go env GOTOOLCHAIN)}" \
                go mod download -json "$FERRETDB_MODULE@$FERRETDB_VERSION" \
                | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')" && [ -n "$src" ]; then
            rm -rf "$tmp/src"
            cp -r "$src" "$tmp/src"
            chmod -R u+w "$tmp/src"
            echo "$FERRETDB_VERSION" >"$tmp/src/build/version/version.txt"
            local meta="$tmp/src/internal/backends/sqlite/metadata/metadata.go"
            sed -i "s|IDColumn = DefaultColumn + \"->'\$._id'\"|IDColumn = DefaultColumn + \`->\"_id\"\`|" "$meta"
            grep -qF 'IDColumn = DefaultColumn + `->"_id"`' "$meta" \
                || die "ferretdb: the _id index patch no longer applies to $FERRETDB_VERSION"
            mkdir -p "$(dirname "$FERRETDB_BIN")"
            if (cd "$tmp/src" && GOTOOLCHAIN="${toolchain:-$(go env GOTOOLCHAIN)}" \
                    GOFLAGS=-buildvcs=false CGO_ENABLED=0 \
                    go build -trimpath -o "$FERRETDB_BIN.tmp" ./cmd/ferretdb) \
                && echo "$FERRETDB_PATCHES" >"$FERRETDB_BIN.tmp.patches" \
                && ferretdb_ok "$FERRETDB_BIN.tmp"; then
                mv -f "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
                mv -f "$FERRETDB_BIN.tmp.patches" "$FERRETDB_BIN.patches"
                return 0
            fi
        fi
        rm -f "$FERRETDB_BIN.tmp" "$FERRETDB_BIN.tmp.patches"
    done
    die "could not build FerretDB $FERRETDB_VERSION"
}

if ferretdb_ok "$FERRETDB_BIN"; then
    say "ferretdb: $FERRETDB_BIN is $FERRETDB_VERSION"
else
    start=$SECONDS
    build_ferretdb
    say "ferretdb: built $FERRETDB_BIN in $((SECONDS - start)) s"
fi

# --- Python virtualenv ---------------------------------------------------------------------
VENV="$REPO/.venv"
STAMP="$VENV/.installed-stamp"

python_ok() {  # $1 = interpreter; true if Python >= 3.11
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null
}

if [ ! -x "$VENV/bin/python" ] || ! python_ok "$VENV/bin/python"; then
    PY=""
    for cand in "${PYTHON:-}" python3 python3.13 python3.12 python3.11 /usr/bin/python3; do
        [ -n "$cand" ] && command -v "$cand" >/dev/null 2>&1 && python_ok "$cand" \
            && { PY="$cand"; break; }
    done
    [ -n "$PY" ] || die "Python >= 3.11 not found (set PYTHON=...)"
    say "venv: creating .venv with $PY ($("$PY" --version 2>&1))"
    rm -rf "$VENV"
    if ! "$PY" -m venv "$VENV" 2>/dev/null; then
        # Debian's python3 needs python3-venv for ensurepip.
        rm -rf "$VENV"
        install_apt python3-venv
        "$PY" -m venv "$VENV" || die "cannot create .venv with $PY"
    fi
    "$VENV/bin/python" -m pip install -q --upgrade pip
    rm -f "$STAMP"
else
    say "venv: .venv exists ($("$VENV/bin/python" --version 2>&1))"
fi

if [ ! -f "$REPO/pyproject.toml" ]; then
    say "venv: no pyproject.toml yet, skipping package install"
elif [ ! -f "$STAMP" ] || [ "$REPO/pyproject.toml" -nt "$STAMP" ]; then
    say "venv: pip install -e '.[dev]'"
    "$VENV/bin/pip" install -q -e "$REPO[dev]"
    touch "$STAMP"
else
    say "venv: packages up to date (pyproject.toml not newer than .venv/.installed-stamp)"
fi

say "done"
