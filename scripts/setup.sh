#!/usr/bin/env bash
# Install dlstudio from this checkout into .venv/ at the repository root (created if missing).
#
#   bash scripts/setup.sh          the package and its run-time dependencies
#   bash scripts/setup.sh --dev    also the test tools (the "dev" extra), the widgets' npm
#                                  packages and Debian's Chromium for the browser tests
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dev=0
for arg in "$@"; do
    case "$arg" in
        --dev) dev=1 ;;
        -h | --help) sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option '$arg' (expected --dev)" ;;
    esac
done

trap print_summary EXIT
install_all "$dev"
