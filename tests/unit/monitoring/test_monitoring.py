"""monitoring/: the Prometheus configuration, alert rules with their unit tests, and
Grafana dashboards, checked offline with promtool (Debian package `prometheus`,
installed by scripts/install.sh) and against the metrics the code defines."""

import json
import re
import shutil
import subprocess

import pytest
import yaml
from prometheus_client import REGISTRY

import gateway.metrics  # noqa: F401 -- registers the gateway's metrics
import services.common.metrics  # noqa: F401
import services.monitor.metrics  # noqa: F401
from gateway import create_app
from tests.unit.paths import REPO_ROOT

MONITORING = REPO_ROOT / "monitoring"
RULES = sorted((MONITORING / "rules").glob("*.yml"))
DASHBOARDS = sorted((MONITORING / "grafana").glob("*.json"))
SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "gauge": ("",),
    "summary": ("_sum", "_count"),
}
OTHER_SERVICES_METRICS = ("services.queue.measures", "services.payment.stats")


def promtool(*args):
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is missing: scripts/install.sh installs Debian's `prometheus` package")
    return subprocess.run([path, *args], capture_output=True, text=True, timeout=60, cwd=REPO_ROOT)


def defined_series():
    """Every series name the platform's code can expose."""
    for module in OTHER_SERVICES_METRICS:
        pytest.importorskip(module)
    names = set()
    for family in REGISTRY.collect():
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
    return names


def expressions():
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                yield f"{path.name}: {rule.get('alert') or rule.get('record')}", rule["expr"]
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel["targets"]:
                yield f"{path.name}: {panel['title']}", target["expr"]


def test_the_prometheus_configuration_and_its_rule_files_pass_promtool():
    result = promtool("check", "config", "monitoring/prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rules/hall.rules.yml" in result.stdout + result.stderr


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.name)
def test_rules_pass_promtool(path):
    result = promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_unit_tests_pass():
    result = promtool("test", "rules", "monitoring/tests/hall.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alerts_the_issue_asks_for_exist_with_severity_and_help():
    alerts = {
        rule["alert"]: rule
        for path in RULES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    assert {
        "HallTargetDown",
        "HallRpcErrorRatioHigh",
        "HallRedWarningsRising",
        "HallQueueWaitLong",
        "HallSupervisionTimersStuck",
    } <= set(alerts)
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], name


def test_every_alert_has_a_unit_test():
    unit_tests = yaml.safe_load((MONITORING / "tests" / "hall.test.yml").read_text())["tests"]
    tested = {case["alertname"] for test in unit_tests for case in test.get("alert_rule_test", [])}
    alerts = {
        rule["alert"]
        for path in RULES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    assert alerts - tested == set()


def test_rules_and_dashboards_only_use_metrics_the_code_defines():
    known = defined_series()
    for where, expr in expressions():
        for name in re.findall(r"(?<![:\w])(hall_\w+)", expr):
            assert name in known, f"{where}: {name} is not a metric of the platform"


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboards_are_grafana_json_with_unique_panels(path):
    dashboard = json.loads(path.read_text())
    assert dashboard["uid"] and dashboard["title"] and dashboard["panels"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"]), panel["title"]


def test_the_gateways_metrics_pass_promtool_check_metrics():
    app = create_app(
        {
            "TESTING": True,
            "RPC_CLIENT": object(),
            "APP_ENV": "demo",
            "TOKEN_SECRET": "unit-test-token-secret-0123456789abcdef",
        }
    )
    client = app.test_client()
    client.get("/healthz")
    text = client.get("/metrics").get_data(as_text=True)
    result = subprocess.run(
        [shutil.which("promtool"), "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
