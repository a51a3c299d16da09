"""One deadline for a case, told through the gateway with the whole platform running: an
unemployment-benefit claim (HR-002, promised in 5 working days) is asked for supplements
before it is accepted; once accepted, the applicant, the intake staff, the reviewer and the
supervision bureau all see the same deadline, counted from acceptance. The day after it the
case is red, held to account once, and counted as overdue in the statistics."""

import time
from datetime import datetime, timedelta, timezone

from services.common.workdays import SHANGHAI, deadline_instant, next_workday, shanghai_day, workdays_between
from tests.e2e import test_supervision_story
from tests.e2e.test_supervision_story import records_of, standing
from tests.e2e.test_vertical_slice import eventually, task_of

clock = test_supervision_story.clock  # the fixture that moves the platform clock

PROBLEM = "application/problem+json"
CLAIM = {
    "item_code": "HR-002",
    "applicant": {"kind": "person", "name": "钱七", "id_number": "11010519491231002X"},
    "materials": ["id_card", "termination_proof"],
}


def complete(gateway, user, case_no, data):
    task = eventually(lambda: task_of(gateway, user, case_no), f"the task of {user}")
    done = gateway.post(f"/api/v1/tasks/{task['id']}/complete", as_user=user, json={"data": data})
    assert done.status_code == 200, done.text


def public(gateway, receipt):
    return gateway.get(
        f"/api/v1/public/cases/{receipt['case_no']}", params={"query_code": receipt["query_code"]}
    ).json()


def hr002(gateway):
    return gateway.get("/api/v1/stats", as_user="supervisor", params={"item_code": "HR-002"}).json()["hall"]


def everywhere(gateway, receipt, reviewer):
    """The case's deadline as supervision, the applicant, the intake staff and the reviewer see it."""
    case_no = receipt["case_no"]
    views = [
        standing(gateway, case_no)["deadline"],
        public(gateway, receipt)["deadline"],
        gateway.get(f"/api/v1/cases/{case_no}", as_user="clerk").json()["deadline"],
        (task_of(gateway, reviewer, case_no) or {}).get("due_at"),
    ]
    return [datetime.fromisoformat(v) if v else None for v in views]


def shanghai_at(day, hour):
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI).astimezone(timezone.utc)


def test_a_claim_supplemented_before_acceptance_has_one_deadline_everywhere_and_goes_red_the_day_after(gateway, clock):
    applied = gateway.post("/api/v1/cases", json=CLAIM)
    assert applied.status_code == 201, applied.text
    receipt = applied.json()
    case_no = receipt["case_no"]
    complete(
        gateway,
        "clerk",
        case_no,
        {
            "intake_decision": "supplement",
            "reason": "解除劳动合同证明缺少单位盖章",
            "missing_materials": "termination_proof",
        },
    )
    eventually(lambda: public(gateway, receipt)["status"] == "awaiting_supplements", "the supplement request")

    # The applicant brings the stamped proof on the next Monday morning; the clerk accepts at once.
    today = shanghai_day(datetime.now(timezone.utc))
    monday = today + timedelta(days=7 - today.weekday())
    clock(shanghai_at(monday, 9))
    supplied = gateway.post(
        f"/api/v1/public/cases/{case_no}/supplements",
        json={"query_code": receipt["query_code"], "materials": ["termination_proof"]},
    )
    assert supplied.status_code == 200, supplied.text
    complete(gateway, "clerk", case_no, {"intake_decision": "accept"})

    staff = eventually(
        lambda: (v := gateway.get(f"/api/v1/cases/{case_no}", as_user="clerk").json())["deadline"] and v,
        "the staff view's deadline",
    )
    deadline = datetime.fromisoformat(staff["deadline"])
    # Counted from acceptance: the days waited for the proof before it do not count.
    assert deadline == deadline_instant(datetime.fromisoformat(staff["accepted_at"]), 5)
    assert datetime.fromisoformat(public(gateway, receipt)["deadline"]) == deadline
    review = eventually(lambda: task_of(gateway, "hr_reviewer", case_no), "the reviewer's task")
    assert datetime.fromisoformat(review["due_at"]) == deadline
    supervised = eventually(lambda: (s := standing(gateway, case_no)) and s["deadline"] and s, "the supervision view")
    assert datetime.fromisoformat(supervised["deadline"]) == deadline
    assert (supervised["status"], supervised["level"], supervised["days_overdue"]) == ("accepted", "green", 0)
    before = hr002(gateway)

    # Only the case's own department may extend it.
    refused = gateway.post(
        f"/api/v1/supervision/cases/{case_no}/extensions", as_user="chief", json={"days": 3, "reason": "需现场核查"}
    )
    assert refused.status_code == 403 and refused.headers["Content-Type"].startswith(PROBLEM), refused.text
    assert "does not own" in refused.json()["detail"]

    due_day = shanghai_day(deadline - timedelta(seconds=1))
    clock(shanghai_at(next_workday(due_day), 10))
    red = eventually(lambda: (s := standing(gateway, case_no))["level"] == "red" and s, "the red warning")
    assert red["days_overdue"] >= 1 and datetime.fromisoformat(red["deadline"]) == deadline
    [record] = eventually(lambda: records_of(gateway, case_no), "the accountability record")
    assert (record["department"], record["staff"], record["days_overdue"]) == (
        "human_resources",
        "clerk",
        red["days_overdue"],
    )
    time.sleep(1.5)  # the scheduler looks again every second: nothing more is filed
    assert len(records_of(gateway, case_no)) == 1

    after = hr002(gateway)
    assert after["open_red"] == before["open_red"] + 1
    assert after["open_yellow"] == before["open_yellow"]
    assert datetime.fromisoformat(public(gateway, receipt)["deadline"]) == deadline


def accepted(gateway, item_code, materials):
    """A case applied for and accepted at the window: its receipt and its first standing."""
    applied = gateway.post(
        "/api/v1/cases", json={"item_code": item_code, "applicant": CLAIM["applicant"], "materials": materials}
    )
    assert applied.status_code == 201, applied.text
    receipt = applied.json()
    complete(gateway, "clerk", receipt["case_no"], {"intake_decision": "accept"})
    return receipt, eventually(
        lambda: (s := standing(gateway, receipt["case_no"])) and s["deadline"] and s, "the deadline"
    )


def test_an_extension_by_the_departments_chief_moves_the_deadline_in_every_view(gateway):
    receipt, first = accepted(gateway, "MR-004", ["application_form", "resolution", "business_license"])
    case_no = receipt["case_no"]
    accepted_at = datetime.fromisoformat(first["accepted_at"])

    extended = gateway.post(
        f"/api/v1/supervision/cases/{case_no}/extensions", as_user="chief", json={"days": 3, "reason": "需现场核查"}
    )
    assert extended.status_code == 201, extended.text
    promised = gateway.get("/api/v1/items/MR-004").json()["promised_limit_days"]
    deadline = deadline_instant(accepted_at, promised + 3)

    eventually(lambda: everywhere(gateway, receipt, "reviewer") == [deadline] * 4, "the new deadline in every view")
    assert any(step["kind"] == "extended" and step["days"] == 3 for step in public(gateway, receipt)["steps"])


def test_a_hearing_stops_the_time_limit_of_a_planning_permit_in_every_view(gateway, clock):
    assert gateway.get("/api/v1/items/NR-004").json()["special_procedures"] == ["expert_review", "hearing"]
    receipt, first = accepted(gateway, "NR-004", ["application_form", "design_plan", "land_certificate"])
    case_no = receipt["case_no"]

    started = gateway.post(
        f"/api/v1/supervision/cases/{case_no}/suspension",
        as_user="nr_chief",
        json={"procedure": "hearing", "reason": "涉及相邻权利人重大利益，依申请举行听证"},
    )
    assert started.status_code == 201, started.text
    eventually(lambda: public(gateway, receipt)["deadline"] is None, "the stopped clock in the public view")
    eventually(lambda: standing(gateway, case_no)["status"] == "suspended", "the stopped clock in supervision")

    clock(datetime.now(timezone.utc) + timedelta(days=7))
    ended = gateway.post(f"/api/v1/supervision/cases/{case_no}/resumption", as_user="nr_chief")
    assert ended.status_code == 200, ended.text
    promised = gateway.get("/api/v1/items/NR-004").json()["promised_limit_days"]
    accepted_at = datetime.fromisoformat(first["accepted_at"])
    used = workdays_between(accepted_at, datetime.fromisoformat(started.json()["suspended_at"]))
    deadline = deadline_instant(datetime.fromisoformat(ended.json()["resumed_at"]), promised - used)
    assert datetime.fromisoformat(ended.json()["deadline"]) == deadline > datetime.fromisoformat(first["deadline"])

    eventually(lambda: everywhere(gateway, receipt, "nr_reviewer") == [deadline] * 4, "the new deadline in every view")
    kinds = [step["kind"] for step in public(gateway, receipt)["steps"]]
    assert kinds.index("suspended") < kinds.index("resumed")
