"""A case's process on the real broker and store: the hall's events as the clerk and the chief
decide, supplements arriving as messages (also before the process waits for them), escape
attempts in uploaded diagrams refused at deployment and, in a version stored before that
check, ending in an incident, an admin's retry, and the audit trail."""

import hashlib
import json
from pathlib import Path

import eventlet
import pytest
from nameko.events import event_handler
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.approval import bpmn_engine, models
from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.time import utcnow

IMMEDIATE_ITEM = (Path(__file__).resolve().parents[3] / "bpmn" / "immediate_item.bpmn").read_text(encoding="utf-8")
CLERK = {"username": "clerk", "roles": ["clerk"], "department": "hall"}
CHIEF = {"username": "chief", "roles": ["chief"], "department": "market_regulation"}
TAX_CHIEF = {"username": "tax_chief", "roles": ["chief"], "department": "taxation"}
ADMIN = {"username": "admin", "roles": ["admin"], "department": "hall"}
HALL_EVENTS = ("case_accepted", "case_refused", "supplement_requested", "case_decided", "case_progressed")
LISTENER = "test_approval_listener"


class HallEvents:
    """Stands in for intake, payment and monitor: records the approval service's events."""

    name = LISTENER
    received = []

    @event_handler("approval", "case_accepted")
    def on_case_accepted(self, payload):
        self.received.append(("case_accepted", payload))

    @event_handler("approval", "case_refused")
    def on_case_refused(self, payload):
        self.received.append(("case_refused", payload))

    @event_handler("approval", "supplement_requested")
    def on_supplement_requested(self, payload):
        self.received.append(("supplement_requested", payload))

    @event_handler("approval", "case_decided")
    def on_case_decided(self, payload):
        self.received.append(("case_decided", payload))

    @classmethod
    def about(cls, case_no):
        return [(name, payload) for name, payload in cls.received if payload["case_no"] == case_no]


@pytest.fixture
def listener(start_listener):
    HallEvents.received = []
    return start_listener(HallEvents)


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def start_case(container, case_no, process_key="immediate_item"):
    call(
        container,
        "on_case_submitted",
        {"case_no": case_no, "item_code": "MR-001", "department": "market_regulation", "process_key": process_key},
    )


def task(container, user, case_no):
    return next(t for t in call(container, "list_tasks", user) if t["case_no"] == case_no)


def complete(container, user, case_no, data):
    return call(container, "complete_task", task(container, user, case_no)["id"], data, user)


def test_accepting_and_deciding_announce_the_hall_events(approval, listener):
    start_case(approval, "20261126000201")
    with entrypoint_waiter(listener, "on_case_accepted"):
        complete(approval, CLERK, "20261126000201", {"intake_decision": "accept"})
    with entrypoint_waiter(listener, "on_case_decided"):
        done = complete(approval, CHIEF, "20261126000201", {"decision": "approved"})
    assert done["case_status"] == "completed"
    (accepted_name, accepted), (decided_name, decided) = HallEvents.about("20261126000201")
    assert (accepted_name, decided_name) == ("case_accepted", "case_decided")
    assert {k: accepted[k] for k in ("item_code", "department", "accepted_by")} == {
        "item_code": "MR-001",
        "department": "market_regulation",
        "accepted_by": "clerk",
    }
    assert (decided["outcome"], decided["decided_by"]) == ("approved", "chief")


def test_a_refusal_at_the_window_ends_the_process_at_refused(approval, listener):
    start_case(approval, "20261126000202")
    with pytest.raises(InvalidInput) as incomplete:
        complete(approval, CLERK, "20261126000202", {"intake_decision": "refuse"})
    assert incomplete.value.errors[0]["field"] == "reason"
    with entrypoint_waiter(listener, "on_case_decided"):
        done = complete(approval, CLERK, "20261126000202", {"intake_decision": "refuse", "reason": "不属于本中心事项"})
    assert done["case_status"] == "completed"
    assert [
        (name, payload.get("reason") or payload.get("outcome")) for name, payload in HallEvents.about("20261126000202")
    ] == [("case_refused", "不属于本中心事项"), ("case_decided", "refused")]


def test_a_supplement_request_waits_for_the_supplement_and_returns_to_the_clerk(approval, listener):
    start_case(approval, "20261126000203")
    with entrypoint_waiter(listener, "on_supplement_requested"):
        done = complete(
            approval,
            CLERK,
            "20261126000203",
            {"intake_decision": "supplement", "missing_materials": "身份证复印件", "reason": "缺件"},
        )
    assert done["current_step"] == "等待补正 Awaiting supplements"
    assert call(approval, "list_tasks", CLERK) == []
    ((name, requested),) = HallEvents.about("20261126000203")
    assert (name, requested["missing_materials"]) == ("supplement_requested", ["身份证复印件"])

    received = {"case_no": "20261126000203", "materials": ["id_card_copy"], "received_at": "2026-11-26T03:00:00+00:00"}
    call(approval, "on_supplement_received", received)
    call(approval, "on_supplement_received", received)  # the event arrives twice: one delivery
    again = task(approval, CLERK, "20261126000203")
    assert again["element_id"] == "accept"
    complete(approval, CLERK, "20261126000203", {"intake_decision": "accept"})
    assert task(approval, CHIEF, "20261126000203")["element_id"] == "decide"
    view = call(approval, "get_case_process", "20261126000203", CHIEF)
    assert [e["kind"] for e in view["audit"]].count("message_delivered") == 1
    assert view["stored_messages"] == []


def test_a_message_that_arrives_before_the_process_waits_is_kept_and_delivered_later(approval):
    early = call(approval, "correlate_message", "20261126000204", "supplement_received", {"materials": ["lease"]})
    assert early == {"case_no": "20261126000204", "name": "supplement_received", "delivered": False}
    start_case(approval, "20261126000204")
    assert call(approval, "get_case_process", "20261126000204", CLERK)["stored_messages"] == ["supplement_received"]
    done = complete(
        approval, CLERK, "20261126000204", {"intake_decision": "supplement", "missing_materials": "租赁合同"}
    )
    assert done["current_step"] == "受理 Accept"  # the kept supplement was taken at once
    view = call(approval, "get_case_process", "20261126000204", CLERK)
    assert view["stored_messages"] == [] and view["waiting_messages"] == []
    assert call(approval, "correlate_message", "20261126000204", "payment_confirmed", {})["delivered"] is False


def test_a_message_whose_first_delivery_stopped_after_keeping_it_is_audited_once(approval):
    """The replica kept the message and stopped before its audit entry: the message comes again."""
    case_no, name, data = "20261126000206", "payment_confirmed", {"amount_fen": 5000}
    models.Message(message_id="bank-7", case_no=case_no, name=name, data=data, received_at=utcnow()).save()

    for _ in range(2):
        call(approval, "correlate_message", case_no, name, data, message_id="bank-7")

    entries = [
        e
        for record in models.Step.objects(case_no=case_no)
        for e in json.loads(record.body)["audit"]
        if e["kind"] == "message_received"
    ]
    assert [(e["element_id"], e["data"]) for e in entries] == [(name, data)]


ESCAPES = [
    "().__class__.__base__.__subclasses__()",
    '__import__("os").system("touch /tmp/approval_sandbox_escaped")',
    "[x for x in (1).__class__.__mro__]",
    '"{0.__class__}".format(decision)',
    "(lambda: 1)() == 1",
    "9 ** 9 ** 9 > 0",
    "[c for c in range(10 ** 9)]",
    'open("/etc/passwd").read()',
    "(g for g in [1]).gi_frame.f_globals",
]


def store_unchecked_version(xml, key="immediate_item"):
    """Store ``xml`` as the next version the way a version deployed before the deployment's
    expression checks is stored: the sandbox must hold when it runs."""
    latest = models.ProcessDefinition.objects(key=key).order_by("-version").first()
    models.ProcessDefinition(
        key=key,
        version=latest.version + 1,
        content_hash=hashlib.sha256(xml.encode()).hexdigest(),
        name=latest.name,
        filename=latest.filename,
        xml=xml,
        deployed_at=utcnow(),
    ).save()


# The escapes the rules refuse from the text alone (the others are size bombs, stopped as they run).
REFUSED_AT_DEPLOYMENT = [
    escape for escape in ESCAPES if escape not in ("9 ** 9 ** 9 > 0", "[c for c in range(10 ** 9)]")
]


@pytest.mark.parametrize("payload", REFUSED_AT_DEPLOYMENT)
def test_an_escape_in_a_gateway_condition_is_refused_at_deployment_naming_the_flow(approval, payload):
    xml = IMMEDIATE_ITEM.replace('decision == "approved"', payload.replace('"', "&quot;"))
    with pytest.raises(InvalidInput) as refused:
        call(approval, "deploy_process", xml, "immediate_item.bpmn")
    assert "Flow_approved" in str(refused.value)


@pytest.mark.parametrize("payload", ESCAPES)
def test_an_escape_in_a_gateway_condition_puts_the_process_into_an_incident(approval, payload):
    xml = IMMEDIATE_ITEM.replace('decision == "approved"', payload.replace('"', "&quot;"))
    store_unchecked_version(xml)
    start_case(approval, "20261126000205")
    complete(approval, CLERK, "20261126000205", {"intake_decision": "accept"})
    done = complete(approval, CHIEF, "20261126000205", {"decision": "approved"})
    assert done["case_status"] == "incident"
    view = call(approval, "get_case_process", "20261126000205", ADMIN)
    assert view["status"] == "incident"
    assert view["incident"]["element_id"] == "Gateway_decision"
    assert view["audit"][-1]["kind"] == "incident"
    assert not Path("/tmp/approval_sandbox_escaped").exists()


def test_an_admin_retries_an_incident_after_fixing_the_data(approval, listener):
    xml = IMMEDIATE_ITEM.replace('decision == "approved"', 'decision == "approved" and opinion_checked')
    call(approval, "deploy_process", xml, "immediate_item.bpmn")
    start_case(approval, "20261126000206")
    complete(approval, CLERK, "20261126000206", {"intake_decision": "accept"})
    assert complete(approval, CHIEF, "20261126000206", {"decision": "approved"})["case_status"] == "incident"
    incident = call(approval, "get_case_process", "20261126000206", CHIEF)["incident"]
    assert "opinion_checked" in incident["message"]
    with pytest.raises(NotFound):
        call(approval, "get_case_process", "20261126000206", TAX_CHIEF)

    with entrypoint_waiter(listener, "on_case_decided"):
        view = call(approval, "retry_case_process", "20261126000206", {"opinion_checked": True}, ADMIN)
    assert (view["status"], view["incident"]) == ("completed", None)
    assert [e["kind"] for e in view["audit"]] == ["started", "task_completed", "task_completed", "incident", "retried"]
    retried = view["audit"][-1]
    assert (retried["actor"], retried["element_id"], retried["data"]) == (
        "admin",
        "Gateway_decision",
        {"opinion_checked": True},
    )
    assert HallEvents.about("20261126000206")[-1][1]["outcome"] == "approved"
    with pytest.raises(Conflict):
        call(approval, "retry_case_process", "20261126000206", {}, ADMIN)


def with_script_task(script):
    """The immediate item with a script task `fee` between the clerk's acceptance and the decision."""
    xml = IMMEDIATE_ITEM.replace(
        '<bpmn:sequenceFlow id="Flow_accepted" name="accept" sourceRef="Gateway_intake_decision" targetRef="decide">',
        f'<bpmn:scriptTask id="fee" name="计费 Fee"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>'
        '<bpmn:sequenceFlow id="Flow_fee" sourceRef="fee" targetRef="decide" />'
        '<bpmn:sequenceFlow id="Flow_accepted" name="accept" sourceRef="Gateway_intake_decision" targetRef="fee">',
    )
    return xml.replace("<bpmn:incoming>Flow_accepted</bpmn:incoming>", "<bpmn:incoming>Flow_fee</bpmn:incoming>")


def test_a_script_task_cannot_reach_the_file_system(approval):
    xml = with_script_task('fee_fen = 100\nwith open("/tmp/approval_sandbox_escaped", "w") as f:\n    f.write("x")')
    with pytest.raises(InvalidInput):
        call(approval, "deploy_process", xml, "immediate_item.bpmn")
    store_unchecked_version(xml)
    start_case(approval, "20261126000207")
    assert complete(approval, CLERK, "20261126000207", {"intake_decision": "accept"})["case_status"] == "incident"
    assert call(approval, "get_case_process", "20261126000207", CLERK)["incident"]["element_id"] == "fee"
    assert not Path("/tmp/approval_sandbox_escaped").exists()


def test_a_runaway_script_is_an_incident_on_its_case_while_another_case_goes_on(approval, service_config):
    call(approval, "deploy_process", with_script_task("while True: pass"), "immediate_item.bpmn")
    start_case(approval, "20261126000208")
    start_case(approval, "20261126000209")
    runaway_task = task(approval, CLERK, "20261126000208")["id"]

    def complete_over_the_broker():  # entrypoint hooks running at once may swap their results
        with ServiceRpcProxy("approval", service_config) as proxy:
            return proxy.complete_task(runaway_task, {"intake_decision": "accept"}, CLERK)

    runaway = eventlet.spawn(complete_over_the_broker)
    eventlet.sleep(0.5)  # the runaway completion reaches the service and its script starts
    other = complete(
        approval, CLERK, "20261126000209", {"intake_decision": "refuse", "reason": "材料不符 Not eligible"}
    )

    assert not runaway.dead, "the other case's completion waited for the runaway script"
    assert other["case_status"] == "completed"
    assert runaway.wait()["case_status"] == "incident"
    incident = call(approval, "get_case_process", "20261126000208", ADMIN)["incident"]
    assert incident["element_id"] == "fee" and "ran longer" in incident["message"]


def test_a_step_whose_state_would_not_fit_the_store_is_an_incident_at_the_task(approval, monkeypatch):
    monkeypatch.setattr(bpmn_engine, "MAX_STATE_BYTES", 30_000)
    call(approval, "deploy_process", with_script_task("notes = 'x' * 40000"), "immediate_item.bpmn")
    start_case(approval, "20261126000210")

    done = complete(approval, CLERK, "20261126000210", {"intake_decision": "accept"})

    assert done["case_status"] == "incident"
    view = call(approval, "get_case_process", "20261126000210", ADMIN)
    assert view["incident"]["element_id"] == "accept" and "stored state larger" in view["incident"]["message"]
    assert [e["kind"] for e in view["audit"]] == ["started", "incident"]
    assert models.ProcessInstance.objects(case_no="20261126000210").first().done == []  # no task history
