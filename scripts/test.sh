#!/usr/bin/env bash
# Install everything (see scripts/setup.sh --dev) and run the whole test suite: the widgets'
# unit tests (vitest), type check and lint (ESLint), ruff (lint + format check) and pytest,
# browser tests included.
#
#   bash scripts/test.sh [PYTEST ARGS...]     e.g. bash scripts/test.sh -k smoke
#
# Every check runs even when an earlier one fails; the exit status is non-zero if any failed.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

total_start=$(now_ms)
trap print_summary EXIT
install_all 1 # an install failure stops the run here (set -e)

failed=()
if [ -f widgets/package.json ]; then
    if npm_has_script test; then
        phase "vitest (widgets)" bash -c 'cd widgets && npm test' || failed+=("vitest")
    else
        phase "vitest (widgets)" bash -c 'cd widgets && npx --no-install vitest run' ||
            failed+=("vitest")
    fi
    if npm_has_script typecheck; then
        phase "tsc --noEmit (widgets)" bash -c 'cd widgets && npm run --silent typecheck' ||
            failed+=("typecheck")
    fi
    if npm_has_script lint; then
        phase "eslint (widgets)" bash -c 'cd widgets && npm run --silent lint' || failed+=("eslint")
    fi
fi
phase "ruff check" "$VENV/bin/ruff" check . || failed+=("ruff check")
phase "ruff format --check" "$VENV/bin/ruff" format --check . || failed+=("ruff format")
phase "mypy" "$VENV/bin/mypy" || failed+=("mypy")

# Artefacts (screenshots, console and server logs, junit.xml) describe this run only.
rm -rf test-artifacts
mkdir -p test-artifacts
pytest_status=0
phase "pytest" "$VENV/bin/python" -m pytest tests -q -ra -p no:cacheprovider \
    --durations=15 --junitxml=test-artifacts/junit.xml "$@" || pytest_status=$?
if [ "$pytest_status" -eq 5 ]; then
    echo "error: pytest collected no tests; a test command that tests nothing must not pass." >&2
fi
[ "$pytest_status" -eq 0 ] || failed+=("pytest")

PHASES+=("$(printf '%-28s %7ss' "total (with installs)" \
    "$(awk -v ms="$(($(now_ms) - total_start))" 'BEGIN { printf "%.1f", ms / 1000 }')")")
if [ "${#failed[@]}" -gt 0 ]; then
    echo "FAILED: ${failed[*]} (screenshots and server logs of browser tests: test-artifacts/)" >&2
    exit 1
fi
echo "All checks passed."
