"""Electronic supervision told as a story of the hall, through the gateway with the
whole platform running: a promised case misses its deadline while the admin moves the
platform clock, supervision warns and holds the window to account, the statistics show
it, and the alert rule fires on the same metric in a promtool unit test."""

import re
import shutil
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
import yaml

from tests.e2e.test_vertical_slice import eventually, task_of

APPLICANT = {"kind": "person", "name": "赵六", "id_number": "11010519491231002X"}
APPLICATION = {
    "item_code": "MR-004",
    "applicant": APPLICANT,
    "materials": ["application_form", "resolution", "business_license"],
}
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clock(gateway):
    """Moves the platform clock (as admin); puts it back to real time afterwards."""

    def move_to(moment):
        offset = (moment - datetime.now(timezone.utc)).total_seconds()
        answer = gateway.post("/api/v1/admin/clock", as_user="admin", json={"offset_seconds": offset})
        assert answer.status_code == 200, answer.text
        return answer.json()

    yield move_to
    gateway.post("/api/v1/admin/clock", as_user="admin", json={"offset_seconds": 0})


def complete(gateway, user, case_no, data):
    task = eventually(lambda: task_of(gateway, user, case_no), f"the task of {user}")
    done = gateway.post(f"/api/v1/tasks/{task['id']}/complete", as_user=user, json={"data": data})
    assert done.status_code == 200, done.text


def accepted_case(gateway):
    answer = gateway.post("/api/v1/cases", json=APPLICATION)
    assert answer.status_code == 201, answer.text
    case_no = answer.json()["case_no"]
    complete(gateway, "clerk", case_no, {"intake_decision": "accept"})
    return case_no


def decide(gateway, case_no):
    complete(gateway, "reviewer", case_no, {"review_result": "pass", "review_opinion": "符合条件"})
    complete(gateway, "chief", case_no, {"decision": "approved", "opinion": "同意"})


def standing(gateway, case_no):
    answer = gateway.get(f"/api/v1/supervision/cases/{case_no}", as_user="supervisor")
    return answer.json() if answer.status_code == 200 else None


def warning_of(gateway, case_no):
    warnings = gateway.get("/api/v1/supervision/warnings", as_user="supervisor").json()["warnings"]
    return next((w for w in warnings if w["case_no"] == case_no), None)


def records_of(gateway, case_no):
    records = gateway.get("/api/v1/supervision/accountability", as_user="supervisor").json()["records"]
    return [r for r in records if r["case_no"] == case_no]


def mr004(gateway):
    stats = gateway.get("/api/v1/stats", as_user="supervisor", params={"item_code": "MR-004"}).json()
    return stats["hall"]


def red_warnings_total(platform):
    text = requests.get(f"http://127.0.0.1:{platform.metrics_ports['monitor']}/metrics", timeout=5).text
    found = re.search(r'^hall_supervision_warnings_total\{level="red"\} (\S+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


def test_an_overdue_promised_case_is_warned_held_to_account_once_and_lowers_the_on_time_rate(
    platform, gateway, clock, tmp_path
):
    on_time_case = accepted_case(gateway)
    decide(gateway, on_time_case)
    late_case = accepted_case(gateway)

    view = eventually(lambda: (s := standing(gateway, late_case)) and s["deadline"] and s, "the deadline")
    assert (view["status"], view["level"]) == ("accepted", "green")
    deadline = datetime.fromisoformat(view["deadline"])
    eventually(lambda: standing(gateway, on_time_case)["status"] == "decided", "the on-time decision")
    before = mr004(gateway)
    assert before["on_time_rate"] is not None
    red_before = red_warnings_total(platform)

    clock(deadline - timedelta(hours=1))
    assert eventually(lambda: warning_of(gateway, late_case), "the yellow warning")["level"] == "yellow"
    assert records_of(gateway, late_case) == []

    clock(deadline + timedelta(minutes=1))
    red = eventually(lambda: (w := warning_of(gateway, late_case)) and w["level"] == "red" and w, "the red warning")
    assert red["department"] == "market_regulation"
    [record] = eventually(lambda: records_of(gateway, late_case), "the accountability record")
    assert (record["staff"], record["item_code"], record["status"]) == ("clerk", "MR-004", "open")

    clock(deadline + timedelta(days=2))
    # The scheduler looks again every second: nothing more may be filed. (Under 2 s: gunicorn
    # closes idle keep-alive connections after 2 s, and the session would reuse a closed one.)
    time.sleep(1.5)
    assert len(records_of(gateway, late_case)) == 1
    taxation_sees = gateway.get("/api/v1/supervision/accountability", as_user="tax_reviewer").json()["records"]
    assert late_case not in [r["case_no"] for r in taxation_sees]

    decide(gateway, late_case)
    # Other stories' cases of MR-004 may be decided meanwhile: wait for this one's decision itself.
    eventually(lambda: standing(gateway, late_case)["status"] == "decided", "the late decision")
    after = eventually(lambda: (h := mr004(gateway))["decided"] > before["decided"] and h, "the late decision")
    assert after["on_time_rate"] < before["on_time_rate"]
    assert standing(gateway, late_case)["on_time"] is False

    red_after = red_warnings_total(platform)
    assert red_after > red_before
    fired = promtool_alert_test(tmp_path, int(red_after - red_before))
    assert fired.returncode == 0, fired.stdout + fired.stderr


def promtool_alert_test(tmp_path, turned_red):
    """HallRedWarningsRising, unit-tested on the live metric's series and its live change."""
    test = {
        "rule_files": [str(REPO_ROOT / "monitoring" / "rules" / "hall.rules.yml")],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": 'hall_supervision_warnings_total{level="red"}', "values": f"0 0 0 {turned_red}x10"}
                ],
                "alert_rule_test": [
                    {"eval_time": "2m", "alertname": "HallRedWarningsRising", "exp_alerts": []},
                    {
                        "eval_time": "4m",
                        "alertname": "HallRedWarningsRising",
                        "exp_alerts": [
                            {
                                "exp_labels": {"severity": "warning", "team": "supervision"},
                                "exp_annotations": {
                                    "summary": f"{turned_red} case(s) went overdue (red) in the last 30 minutes",
                                    "description": "Cases passed their deadline; accountability records were filed. "
                                    "See GET /api/v1/supervision/warnings?level=red.",
                                },
                            }
                        ],
                    },
                ],
            }
        ],
    }
    path = tmp_path / "live.test.yml"
    path.write_text(yaml.safe_dump(test, allow_unicode=True))
    return subprocess.run(
        [shutil.which("promtool"), "test", "rules", str(path)], capture_output=True, text=True, timeout=60
    )


def test_every_live_metrics_output_passes_promtool_check_metrics(platform, gateway):
    gateway.get("/api/v1/items")
    outputs = {"gateway": gateway.get("/metrics").text}
    for name, port in platform.metrics_ports.items():
        outputs[name] = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    for name, text in outputs.items():
        checked = subprocess.run(
            [shutil.which("promtool"), "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
        )
        assert checked.returncode == 0, f"{name}: {checked.stdout}{checked.stderr}"


def test_a_bad_review_opens_a_rectification_and_a_complaint_is_followed_with_its_code(gateway):
    answer = gateway.post("/api/v1/cases", json=APPLICATION)
    receipt = answer.json()
    complete(gateway, "clerk", receipt["case_no"], {"intake_decision": "accept"})
    decide(gateway, receipt["case_no"])
    eventually(
        lambda: gateway.get(
            f"/api/v1/public/cases/{receipt['case_no']}", params={"query_code": receipt["query_code"]}
        ).json()["evaluable"],
        "the decision at intake",
    )
    evaluation = gateway.post(
        "/api/v1/evaluations",
        json={"case_no": receipt["case_no"], "query_code": receipt["query_code"], "level": 2, "comment": "跑了两趟"},
    )
    assert evaluation.status_code == 201, evaluation.text
    assert evaluation.json()["rectification_status"] == "open"
    again = gateway.post(
        "/api/v1/evaluations", json={"case_no": receipt["case_no"], "query_code": receipt["query_code"], "level": 5}
    )
    assert again.status_code == 409

    filed = gateway.post(
        "/api/v1/complaints",
        json={
            "category": "investor_hotline",
            "content": "审批拖延",
            "case_no": receipt["case_no"],
            "channel": "hotline",
        },
    ).json()
    moved = gateway.post(
        f"/api/v1/complaints/{filed['complaint_no']}/transitions", as_user="supervisor", json={"to": "accepted"}
    )
    assert moved.status_code == 200, moved.text
    followed = gateway.get(
        f"/api/v1/public/complaints/{filed['complaint_no']}", params={"follow_code": filed["follow_code"]}
    ).json()
    assert followed["status"] == "accepted"
