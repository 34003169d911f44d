# Shared helpers for scripts/setup.sh and scripts/test.sh (sourced, not run).
# shellcheck shell=bash

# Nothing may stop to ask a question: these scripts also run in CI.
export DEBIAN_FRONTEND=noninteractive
export PIP_NO_INPUT=1
export PIP_DISABLE_PIP_VERSION_CHECK=1
export NPM_CONFIG_FUND=false
export NPM_CONFIG_AUDIT=false
export NPM_CONFIG_UPDATE_NOTIFIER=false

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"
CHROMIUM="${DLSTUDIO_CHROMIUM:-/usr/bin/chromium}"
PHASES=()

now_ms() { date +%s%3N; }

# phase NAME CMD...: run CMD, print how long it took, remember the result for the summary.
# Returns CMD's exit status so callers decide whether a failure stops the run. CMD runs in a
# subshell with errexit on, so a failing step inside a shell function stops that function.
phase() {
    local name=$1 start status
    shift
    echo "==> $name"
    start=$(now_ms)
    set +e
    (
        set -e
        "$@"
    )
    status=$?
    set -e
    local secs
    secs=$(awk -v ms="$(($(now_ms) - start))" 'BEGIN { printf "%.1f", ms / 1000 }')
    if [ "$status" -eq 0 ]; then
        PHASES+=("$(printf '%-28s %7ss  ok' "$name" "$secs")")
    else
        PHASES+=("$(printf '%-28s %7ss  FAILED (exit %d)' "$name" "$secs" "$status")")
    fi
    echo "<== $name: ${secs}s (exit $status)"
    return "$status"
}

print_summary() {
    echo
    echo "Phase timings:"
    local line
    for line in "${PHASES[@]}"; do echo "  $line"; done
}

die() {
    echo "error: $*" >&2
    exit 1
}

# Run as root: directly when we are root, through sudo when it is there.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "'$*' needs root and sudo is not installed; run it as root, then run this again."
    fi
}

install_chromium() {
    # Playwright's own browser download does not work on these machines: use Debian's.
    if [ -x "$CHROMIUM" ]; then
        echo "Chromium already installed at $CHROMIUM"
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 ||
        die "the browser tests need Chromium at $CHROMIUM and there is no apt-get to install it; install Chromium and set DLSTUDIO_CHROMIUM to its path."
    as_root apt-get update -q
    as_root apt-get install -y -q chromium
    [ -x "$CHROMIUM" ] || die "apt-get installed chromium but $CHROMIUM is still missing."
}

create_venv() {
    local python=${PYTHON:-python3}
    if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
        echo "Using the existing virtualenv $VENV"
    else
        command -v "$python" >/dev/null 2>&1 || die "$python not found; install Python 3.11+ or set PYTHON."
        "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
            die "dlstudio needs Python 3.11 or newer, and $python is $("$python" --version 2>&1); set PYTHON to a newer one."
        "$python" -m venv "$VENV" ||
            die "could not create $VENV; on Debian/Ubuntu install python3-venv first."
    fi
    "$VENV/bin/python" -m pip install --upgrade --quiet pip
}

# pip_install SPEC: editable install of this checkout; the build runs npm to bundle widgets/.
pip_install() {
    if [ -f "$REPO_ROOT/widgets/package.json" ]; then
        command -v npm >/dev/null 2>&1 ||
            die "building the widgets needs Node.js 20+ and npm, and npm is not on PATH; install Node.js, then run this again."
    fi
    (cd "$REPO_ROOT" && "$VENV/bin/python" -m pip install --quiet -e "$1")
}

# npm_has_script NAME: does widgets/package.json define that script?
npm_has_script() {
    (cd "$REPO_ROOT/widgets" &&
        node -e 'process.exit(require("./package.json").scripts?.[process.argv[1]] ? 0 : 1)' "$1")
}

npm_ci() {
    (cd "$REPO_ROOT/widgets" && npm ci --no-audit --no-fund --loglevel=error)
}

# install_all DEV: everything scripts/setup.sh promises; DEV=1 adds the test tools.
install_all() {
    if [ "$1" -eq 1 ]; then
        phase "chromium" install_chromium
    fi
    phase "virtualenv + pip" create_venv
    if [ "$1" -eq 1 ]; then
        phase "pip install -e .[dev]" pip_install ".[dev]"
        if [ -f "$REPO_ROOT/widgets/package.json" ]; then
            phase "npm ci (widgets)" npm_ci
        fi
    else
        phase "pip install -e ." pip_install "."
    fi
}
