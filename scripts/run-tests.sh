#!/usr/bin/env bash
# Run the whole suite. Its broker, store and platform processes keep their data under
# .run/test-tmp; whatever the outcome (even a killed pytest), anything still running
# from there is stopped afterwards.
set -uo pipefail
cd "$(dirname "$0")/.."
test_tmp="$PWD/.run/test-tmp"
rm -rf "$test_tmp"
mkdir -p "$(dirname "$test_tmp")"
.venv/bin/python -m pytest --basetemp="$test_tmp" "$@"
status=$?
leftovers=$(pgrep -f -- "$test_tmp/" || true)
if [ -n "$leftovers" ]; then
    echo "stopping processes left by the tests: $leftovers"
    kill $leftovers 2>/dev/null || true
fi
exit $status
