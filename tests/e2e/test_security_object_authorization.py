"""Object-level authorization (OWASP API1) on the running platform: every endpoint that
names or lists an object × every demo user × own/other department, and the applicant
with the right or a wrong query code. Nobody reads or changes what is not theirs, and
a foreign object answers exactly like a missing one (status and problem, the object's
own number aside), so an error message tells nothing either — except a change of the time
limit (extension, special procedure) asked by another department's chief, which is told the
case is not its department's (403).

The objects: a market-regulation case (MR-001) accepted at the intake window, so its
chief representative holds its next task, with a complaint; another one decided, with a bad
review (a case is evaluated once decided); and a public-security case with a payment notice
(PS-001 bears a fee)."""

import time
import uuid

import pytest
from nameko.standalone.events import event_dispatcher

from gateway.api.cases import STAFF_ROLES
from gateway.api.processes import PROCESS_VIEWERS
from gateway.api.supervision import WATCHERS
from gateway.auth import DEMO_USERS
from tests.waiting import eventually

HALL_WIDE = ("hall", "supervision")
PERSON = {"kind": "person", "name": "孙八", "id_number": "11010519491231002X"}
MISSING_CASE = "20000101999999"
MISSING_TASK = str(uuid.uuid4())
WRONG_CODE = "WRONGCDE"
USERS = {name: {"roles": set(roles), "department": department} for name, _, roles, department in DEMO_USERS}


def sees(username, department):
    return USERS[username]["department"] in HALL_WIDE + (department,)


def may(username, roles):
    return bool(USERS[username]["roles"] & set(roles))


def problem_shape(answer, object_id, missing_id):
    """What a 404 tells: status, content type and the problem, with the object's id made the missing one's."""
    body = answer.json()
    body.pop("request_id", None)
    text = repr(sorted(body.items())).replace(object_id, missing_id)
    return answer.status_code, answer.headers["content-type"], text


def assert_like_missing(foreign, missing, object_id, missing_id, what):
    assert foreign.status_code == 404, f"{what}: {foreign.status_code} {foreign.text}"
    assert problem_shape(foreign, object_id, missing_id) == problem_shape(missing, missing_id, missing_id), what


@pytest.fixture(scope="module")
def world(platform, gateway):
    """The objects the matrix probes, built through the public API (the payment step is dispatched
    as the flow would)."""
    mr = gateway.post(
        "/api/v1/cases", json={"item_code": "MR-001", "applicant": PERSON, "materials": ["application_form", "id_card"]}
    ).json()
    [accept] = eventually(
        lambda: gateway.get("/api/v1/tasks", as_user="clerk", params={"case_no": mr["case_no"]}).json()["tasks"],
        "the intake task",
    )
    done = gateway.post(
        f"/api/v1/tasks/{accept['id']}/complete", as_user="clerk", json={"data": {"intake_decision": "accept"}}
    )
    assert done.status_code == 200, done.text
    [decide] = eventually(
        lambda: gateway.get("/api/v1/tasks", as_user="chief", params={"case_no": mr["case_no"]}).json()["tasks"],
        "the chief's task",
    )
    eventually(
        lambda: gateway.get(f"/api/v1/supervision/cases/{mr['case_no']}", as_user="supervisor").ok,
        "the monitor's watch",
    )
    rated = decided(gateway)
    evaluated = gateway.post(
        "/api/v1/evaluations",
        json={"case_no": rated["case_no"], "query_code": rated["query_code"], "level": 1, "comment": "等了很久"},
    )
    assert evaluated.status_code == 201, evaluated.text
    complaint = gateway.post(
        "/api/v1/complaints", json={"category": "efficiency", "content": "窗口办理太慢", "case_no": mr["case_no"]}
    ).json()

    fee = gateway.post(
        "/api/v1/cases",
        json={"item_code": "PS-001", "applicant": PERSON, "materials": ["old_id_card", "household_register"]},
    ).json()
    event_dispatcher({"AMQP_URI": platform.broker.amqp_uri})(
        "approval",
        "payment_required",
        {
            "case_no": fee["case_no"],
            "item_code": "PS-001",
            "department": "public_security",
            "requested_at": "2026-11-26T02:00:00+00:00",
        },
    )
    eventually(
        lambda: gateway.get(f"/api/v1/cases/{fee['case_no']}/payment", as_user="cashier").ok, "the payment notice"
    )
    return {"mr": mr, "task": decide, "complaint": complaint, "fee": fee, "rated": rated}


def decided(gateway):
    """A market-regulation case approved by its chief representative; its receipt."""
    case = gateway.post(
        "/api/v1/cases", json={"item_code": "MR-001", "applicant": PERSON, "materials": ["application_form", "id_card"]}
    ).json()
    for user, data in (("clerk", {"intake_decision": "accept"}), ("chief", {"decision": "approved"})):
        [task] = eventually(
            lambda u=user: gateway.get("/api/v1/tasks", as_user=u, params={"case_no": case["case_no"]}).json()["tasks"],
            f"the task of {user}",
        )
        done = gateway.post(f"/api/v1/tasks/{task['id']}/complete", as_user=user, json={"data": data})
        assert done.status_code == 200, done.text
    eventually(
        lambda: gateway.get(
            f"/api/v1/public/cases/{case['case_no']}", params={"query_code": case["query_code"]}
        ).json()["evaluable"],
        "the decision at intake",
    )
    return case


@pytest.mark.parametrize("username", sorted(USERS))
def test_staff_see_a_case_its_process_standing_and_notice_only_in_their_department(gateway, world, username):
    mr, fee = world["mr"]["case_no"], world["fee"]["case_no"]
    for path, roles, department, case_no in (
        ("/api/v1/cases/{}", STAFF_ROLES, "market_regulation", mr),
        ("/api/v1/cases/{}/process", PROCESS_VIEWERS, "market_regulation", mr),
        ("/api/v1/supervision/cases/{}", WATCHERS, "market_regulation", mr),
        ("/api/v1/cases/{}/payment", STAFF_ROLES, "public_security", fee),
    ):
        answer = gateway.get(path.format(case_no), as_user=username)
        if not may(username, roles):
            assert answer.status_code == 403, (path, answer.text)
        elif sees(username, department):
            assert answer.status_code == 200 and answer.json()["case_no"] == case_no, (path, answer.text)
        else:
            missing = gateway.get(path.format(MISSING_CASE), as_user=username)
            assert_like_missing(answer, missing, case_no, MISSING_CASE, path)


@pytest.mark.parametrize("username", sorted(USERS))
def test_lists_and_searches_hold_only_the_callers_department(gateway, world, username):
    mr = world["mr"]["case_no"]
    if may(username, STAFF_ROLES):
        found = gateway.get(
            "/api/v1/cases", as_user=username, params={"applicant_id": PERSON["id_number"], "page_size": 100}
        ).json()["cases"]
        assert (mr in [c["case_no"] for c in found]) == sees(username, "market_regulation")
        assert all(sees(username, c["department"]) for c in found)
    tasks = gateway.get("/api/v1/tasks", as_user=username, params={"case_no": mr}).json()
    assert all(
        t["department"] == USERS[username]["department"] and t["role"] in USERS[username]["roles"]
        for t in tasks["tasks"]
    ), tasks
    if may(username, ("supervisor", "chief", "reviewer")):
        complaints = gateway.get("/api/v1/complaints", as_user=username).json()["complaints"]
        numbers = [c["complaint_no"] for c in complaints]
        assert (world["complaint"]["complaint_no"] in numbers) == sees(username, "market_regulation")
        assert all(c["department"] is None or sees(username, c["department"]) for c in complaints)
    if may(username, ("supervisor", "chief")):
        reviews = gateway.get("/api/v1/evaluations/rectifications", as_user=username).json()["evaluations"]
        rated = world["rated"]["case_no"]
        assert (rated in [e["case_no"] for e in reviews]) == sees(username, "market_regulation")
    if may(username, WATCHERS):
        for path, key in (
            ("/api/v1/supervision/warnings", "warnings"),
            ("/api/v1/supervision/accountability", "records"),
        ):
            assert all(sees(username, r["department"]) for r in gateway.get(path, as_user=username).json()[key])
    if may(username, ("supervisor", "admin", "chief", "reviewer")):
        stats = gateway.get("/api/v1/stats", as_user=username, params={"department": "market_regulation"}).json()
        own = USERS[username]["department"]
        assert stats["filters"]["department"] == ("market_regulation" if own in HALL_WIDE else own)
        assert set(stats["by_department"]) <= ({"market_regulation"} if own in HALL_WIDE else {own})
    if may(username, STAFF_ROLES):
        money = gateway.get(
            "/api/v1/payments/stats",
            as_user=username,
            params={"day": time.strftime("%Y-%m-%d"), "department": "public_security"},
        ).json()
        own = USERS[username]["department"]
        assert money["department"] == ("public_security" if own in HALL_WIDE else own)
        assert all(sees(username, row["department"]) for row in money["items"])


@pytest.mark.parametrize("username", sorted(u for u in USERS if u != "chief"))
def test_nobody_but_the_tasks_own_role_and_department_reads_or_completes_it(gateway, world, username):
    task = world["task"]["id"]
    for method, suffix, body in (("GET", "", None), ("POST", "/complete", {"data": {}})):
        answer = gateway.request(method, f"/api/v1/tasks/{task}{suffix}", username, json=body)
        missing = gateway.request(method, f"/api/v1/tasks/{MISSING_TASK}{suffix}", username, json=body)
        assert_like_missing(answer, missing, task, MISSING_TASK, f"{method} task{suffix}")
    assert gateway.get(f"/api/v1/tasks/{task}", as_user="chief").status_code == 200


@pytest.mark.parametrize("username", ["tax_chief"])
def test_another_departments_chief_changes_nothing_of_the_case(gateway, world, username):
    mr, rated = world["mr"]["case_no"], world["rated"]["case_no"]
    path, body = "/api/v1/evaluations/{}/rectification", {"rectification": "已整改", "callback_note": "已回访"}
    answer = gateway.post(path.format(rated), as_user=username, json=body)
    missing = gateway.post(path.format(MISSING_CASE), as_user=username, json=body)
    assert_like_missing(answer, missing, rated, MISSING_CASE, path)
    # The time limit is the exception: a chief asking to extend or stop another department's
    # case is told plainly that the case is not theirs (403), so it goes to the right chief.
    for suffix, body in (
        ("extensions", {"days": 3, "reason": "材料核查"}),
        ("suspension", {"procedure": "hearing", "reason": "听证"}),
        ("resumption", None),
    ):
        foreign = gateway.post(f"/api/v1/supervision/cases/{mr}/{suffix}", as_user=username, json=body)
        assert foreign.status_code == 403 and "does not own" in foreign.json()["detail"], foreign.text
        missing = gateway.post(f"/api/v1/supervision/cases/{MISSING_CASE}/{suffix}", as_user=username, json=body)
        assert missing.status_code == 404, missing.text
    standing = gateway.get(f"/api/v1/supervision/cases/{mr}", as_user="supervisor").json()
    assert standing["extensions"] == []
    reviews = gateway.get("/api/v1/evaluations/rectifications", as_user="supervisor").json()["evaluations"]
    assert rated in [e["case_no"] for e in reviews]


@pytest.mark.parametrize("username", sorted(USERS))
def test_only_the_cases_department_and_the_hall_deliver_messages_to_its_process(gateway, world, username):
    mr, body = world["mr"]["case_no"], {"message_id": f"probe-{username}-01", "data": {}}
    answer = gateway.post(f"/api/v1/cases/{mr}/messages/fire_inspection", as_user=username, json=body)
    if sees(username, "market_regulation"):  # the process never waits for it: refused, nothing kept
        assert answer.status_code == 409, answer.text
        return
    missing = gateway.post(f"/api/v1/cases/{MISSING_CASE}/messages/fire_inspection", as_user=username, json=body)
    assert_like_missing(answer, missing, mr, MISSING_CASE, "POST message")


def test_the_applicant_with_a_wrong_query_code_learns_nothing(gateway, world):
    mr, code = world["mr"]["case_no"], world["mr"]["query_code"]
    fee, fee_code = world["fee"]["case_no"], world["fee"]["query_code"]
    right = gateway.get(f"/api/v1/public/cases/{mr}", params={"query_code": code})
    assert right.status_code == 200 and PERSON["name"] not in right.text and PERSON["id_number"] not in right.text
    paid = gateway.get(f"/api/v1/cases/{fee}/payment", params={"query_code": fee_code})
    assert paid.status_code == 200 and PERSON["id_number"] not in paid.text

    probes = (
        ("GET", "/api/v1/public/cases/{}", lambda c: {"params": {"query_code": c}}),
        ("GET", "/api/v1/cases/{}/payment", lambda c: {"params": {"query_code": c}}),
        (
            "POST",
            "/api/v1/public/cases/{}/supplements",
            lambda c: {"json": {"query_code": c, "materials": ["id_card"]}},
        ),
    )
    for method, path, request in probes:
        for case_no in (mr, fee):
            answer = gateway.request(method, path.format(case_no), **request(WRONG_CODE))
            missing = gateway.request(method, path.format(MISSING_CASE), **request(WRONG_CODE))
            assert_like_missing(answer, missing, case_no, MISSING_CASE, path)
    evaluation = gateway.post("/api/v1/evaluations", json={"case_no": fee, "query_code": WRONG_CODE, "level": 5})
    missing = gateway.post("/api/v1/evaluations", json={"case_no": MISSING_CASE, "query_code": WRONG_CODE, "level": 5})
    assert_like_missing(evaluation, missing, fee, MISSING_CASE, "evaluation")


def test_a_complaint_is_followed_only_with_its_follow_code(gateway, world):
    number, code = world["complaint"]["complaint_no"], world["complaint"]["follow_code"]
    assert gateway.get(f"/api/v1/public/complaints/{number}", params={"follow_code": code}).status_code == 200
    missing = gateway.get("/api/v1/public/complaints/T200001019999", params={"follow_code": WRONG_CODE})
    for code in (WRONG_CODE, "中"):  # a code that is not even ASCII is just as wrong
        wrong = gateway.get(f"/api/v1/public/complaints/{number}", params={"follow_code": code})
        assert_like_missing(wrong, missing, number, "T200001019999", "complaint")


def test_a_tickets_public_view_names_no_case_and_no_appointment_code(gateway, world):
    # A category and window of this test's own, so that the call finds this ticket.
    assert (
        gateway.request(
            "PUT", "/api/v1/queue/categories/Z", "admin", json={"name_zh": "安全测试", "name_en": "Security test"}
        ).status_code
        == 200
    )
    assert gateway.request("PUT", "/api/v1/queue/windows/99", "admin", json={"categories": ["Z"]}).status_code == 200
    ticket = gateway.post("/api/v1/queue/tickets", json={"category": "Z"}).json()
    assert gateway.post("/api/v1/queue/windows/99/call", as_user="clerk").json()["ticket_id"] == ticket["ticket_id"]
    linked = gateway.post(
        f"/api/v1/queue/tickets/{ticket['ticket_id']}/case", as_user="clerk", json={"case_no": world["mr"]["case_no"]}
    )
    assert linked.status_code == 200 and linked.json()["case_no"] == world["mr"]["case_no"]

    public = gateway.get(f"/api/v1/queue/tickets/{ticket['ticket_id']}")

    assert public.status_code == 200 and public.json()["ticket_id"] == ticket["ticket_id"]
    assert world["mr"]["case_no"] not in public.text and "appointment_code" not in public.json()


STAFF_ACCOUNT = {
    "username": "matrix.probe",
    "display_name": "探测 Probe",
    "roles": ["admin"],
    "department": "hall",
    "password": "matrix-probe-password",
}


@pytest.mark.parametrize("username", sorted(u for u in USERS if u != "admin"))
def test_nobody_but_an_admin_reads_creates_or_changes_staff_accounts(gateway, username):
    for method, path, body in (
        ("GET", "/api/v1/admin/staff", None),
        ("POST", "/api/v1/admin/staff", STAFF_ACCOUNT),
        ("POST", "/api/v1/admin/staff/admin/disable", None),
        ("POST", "/api/v1/admin/staff/admin/password", {"password": "taken-over-password"}),
    ):
        answer = gateway.request(method, path, as_user=username, json=body)
        assert answer.status_code == 403, f"{username}: {method} {path}: {answer.status_code}"
        assert "matrix.probe" not in answer.text and "password_set" not in answer.text
    # never created: refused (401, or 429 once the probes' failed logins throttle the name)
    signed_in = gateway.post(
        "/api/v1/auth/token", json={"username": STAFF_ACCOUNT["username"], "password": STAFF_ACCOUNT["password"]}
    )
    assert signed_in.status_code in (401, 429)
