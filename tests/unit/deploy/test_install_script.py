"""scripts/install.sh's apt step waits for another apt or dpkg to release its lock instead of
failing at once. It runs here against a stand-in apt-get on PATH that behaves like apt-get
with its lock held by another process: it fails at once unless told to wait for the lock."""

import os
import subprocess

from tests.unit.paths import REPO_ROOT

HELD_LOCK_APT_GET = """#!/usr/bin/env bash
echo "$*" >> "$APT_CALLS"
for arg in "$@"; do
    case "$arg" in DPkg::Lock::Timeout=*) exit 0 ;; esac  # waits until the other process is done
done
echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (unattended-upgr)" >&2
exit 100
"""


def run_apt_step(tmp_path, *packages, **env):
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "apt-get").write_text(HELD_LOCK_APT_GET)
    (fake_bin / "apt-get").chmod(0o755)
    calls = tmp_path / "calls"
    result = subprocess.run(
        [str(REPO_ROOT / "scripts" / "apt_install.sh"), *packages],
        capture_output=True,
        text=True,
        timeout=30,
        env=dict(os.environ, PATH=f"{fake_bin}:{os.environ['PATH']}", APT_CALLS=str(calls), **env),
    )
    return result, calls.read_text().splitlines()


def test_the_apt_step_waits_for_a_held_lock_in_update_and_install(tmp_path):
    result, calls = run_apt_step(tmp_path, "rabbitmq-server", "chromium")

    assert result.returncode == 0, result.stderr
    assert calls == [
        "-o DPkg::Lock::Timeout=600 update -qq",
        "-o DPkg::Lock::Timeout=600 install -y -qq rabbitmq-server chromium",
    ]


def test_how_long_it_waits_is_a_setting(tmp_path):
    _, calls = run_apt_step(tmp_path, "prometheus", APT_LOCK_TIMEOUT="30")

    assert all(call.startswith("-o DPkg::Lock::Timeout=30 ") for call in calls)


def test_install_sh_runs_apt_only_through_the_apt_step():
    install = (REPO_ROOT / "scripts" / "install.sh").read_text()

    assert "apt-get" not in install and 'scripts/apt_install.sh "${need_apt[@]}"' in install
