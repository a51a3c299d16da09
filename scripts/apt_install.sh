#!/usr/bin/env bash
# Install the Debian packages named as arguments (scripts/install.sh's apt step). Another apt
# or dpkg holding its lock (unattended-upgrades after boot, a second terminal) is waited for,
# up to APT_LOCK_TIMEOUT seconds (default 600), instead of failing at once.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
wait_for_lock=(-o "DPkg::Lock::Timeout=${APT_LOCK_TIMEOUT:-600}")
apt-get "${wait_for_lock[@]}" update -qq
apt-get "${wait_for_lock[@]}" install -y -qq "$@" >/dev/null
