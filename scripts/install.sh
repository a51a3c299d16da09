#!/usr/bin/env bash
# Install what the platform needs and is missing: Debian's rabbitmq-server, and a
# virtualenv (.venv) with the pinned Python dependencies. Safe to run again: it only
# reinstalls Python packages when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need_apt+=(rabbitmq-server)
command -v promtool >/dev/null || need_apt+=(prometheus)  # promtool: the monitoring/ tests
command -v python3 >/dev/null || need_apt+=(python3 python3-venv python3-dev)
python3 -c 'import ensurepip, venv' 2>/dev/null || need_apt+=(python3-venv)
command -v npm >/dev/null || need_apt+=(nodejs npm)  # bpmn-js for the process designer page
# The browser tests (tests/browser): Debian's Chromium driven headless, and a CJK font for the pages.
[ -x /usr/bin/chromium ] || need_apt+=(chromium chromium-driver)
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need_apt+=(fonts-wqy-microhei)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "installing Debian packages: ${need_apt[*]}"
    scripts/apt_install.sh "${need_apt[@]}"
fi

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    echo "Python 3.11 is required ($PYTHON is $("$PYTHON" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
    exit 1
fi

stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[test,bench,sim]'
    rm -f .venv/.installed-*
    touch "$stamp"
fi

# Front-end assets: bpmn-js and the Camunda moddle descriptor (the designer's properties panel
# reads and writes camunda:* with it) from web/package-lock.json, copied into the gateway's
# static files (gateway/web/static/vendor/, not in git). Reinstalled only when the lock file changed.
web_stamp="web/node_modules/.installed-$(sha256sum web/package-lock.json | cut -c1-16)"
vendor=gateway/web/static/vendor/bpmn-js
camunda=gateway/web/static/vendor/camunda-bpmn-moddle
if [ ! -f "$web_stamp" ] || [ ! -f "$vendor/bpmn-modeler.production.min.js" ] || [ ! -f "$camunda/camunda.json" ]; then
    (cd web && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
    rm -rf "$vendor" "$camunda" && mkdir -p "$vendor" "$camunda"
    cp web/node_modules/bpmn-js/dist/bpmn-modeler.production.min.js web/node_modules/bpmn-js/LICENSE "$vendor/"
    cp -r web/node_modules/bpmn-js/dist/assets "$vendor/assets"
    cp web/node_modules/camunda-bpmn-moddle/resources/camunda.json web/node_modules/camunda-bpmn-moddle/LICENSE "$camunda/"
    rm -f web/node_modules/.installed-*
    touch "$web_stamp"
fi
