#!/usr/bin/env bash
# Run the whole suite. Its broker, store and platform processes keep their data under
# .run/test-tmp; whatever the outcome (even a killed pytest), anything still running
# from there is stopped afterwards.
#
# With no arguments the suite runs as two pytest processes side by side (TEST_WORKERS=1: one):
# most of a test's time is spent waiting for the broker, the store and the platform's
# processes, so two halves overlap well even on two cores (integration and faults | unit, e2e
# and browser: about 10 to 12 minutes each side by side here). Each half has its own broker, store
# and platforms; the second half's output follows the first's. Arguments (a path, -k, …) run
# one pytest with them.
set -uo pipefail
cd "$(dirname "$0")/.."
test_tmp="$PWD/.run/test-tmp"
rm -rf "$test_tmp"
mkdir -p "$test_tmp"
pytest=(.venv/bin/python -m pytest --durations=15)

if [ $# -gt 0 ] || [ "${TEST_WORKERS:-2}" -le 1 ]; then
    "${pytest[@]}" --basetemp="$test_tmp/all" "$@"
    status=$?
else
    # Disjoint port ranges (stack/ports.py), so the halves' platforms never pick the same port.
    HALL_FREE_PORTS=26000-32000 "${pytest[@]}" --basetemp="$test_tmp/second" tests/unit tests/e2e tests/browser \
        >"$test_tmp/second.log" 2>&1 &
    second=$!
    trap 'kill "$second" 2>/dev/null' INT TERM
    HALL_FREE_PORTS=20000-26000 "${pytest[@]}" --basetemp="$test_tmp/first" tests/integration tests/faults \
        2>&1 | tee "$test_tmp/first.log"
    status=${PIPESTATUS[0]}
    wait "$second"
    second_status=$?
    echo "=== tests/unit tests/e2e tests/browser ==="
    cat "$test_tmp/second.log"
    [ "$status" -eq 0 ] && status=$second_status
    # Both halves' verdicts last, where a reader of a cut log looks.
    echo "=== summary of both halves ==="
    for half in first second; do
        if grep -q "short test summary info" "$test_tmp/$half.log"; then
            sed -n '/short test summary info/,$p' "$test_tmp/$half.log"
        else
            tail -n 1 "$test_tmp/$half.log"
        fi
    done
fi

leftovers=$(pgrep -f -- "$test_tmp/" || true)
if [ -n "$leftovers" ]; then
    echo "stopping processes left by the tests: $leftovers"
    kill $leftovers 2>/dev/null || true
fi
exit $status
