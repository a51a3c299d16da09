"""The rules of one approval step over plain data, without broker, store or engine: who may
complete a task and with what, what a step produces (tasks, audit, events, record, outbox),
when a case is held, and what a completion answers."""

import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from services.approval import roles, step_rules
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.fields import to_millis

NOW = datetime(2026, 12, 3, 9, 30, tzinfo=timezone.utc)
CLERK = {"username": "clerk", "roles": ["clerk"], "department": "hall"}
REVIEWER = {"username": "reviewer", "roles": ["reviewer"], "department": "market_regulation"}
OTHER_REVIEWER = {"username": "reviewer2", "roles": ["reviewer"], "department": "market_regulation"}
CHIEF = {"username": "chief", "roles": ["chief"], "department": "market_regulation"}
TAX_REVIEWER = {"username": "tax", "roles": ["reviewer"], "department": "taxation"}
DECISION_FORM = [
    {
        "id": "decision",
        "label": "decision",
        "type": "enum",
        "required": True,
        "readonly": False,
        "options": [{"id": "approve", "name": "approve"}, {"id": "return", "name": "return"}],
    },
    {"id": "return_reason", "label": "reason", "type": "string", "required": False, "readonly": False},
    {"id": "window", "label": "window", "type": "string", "required": False, "readonly": False},
]


def open_task(
    element_id="review",
    role="reviewer",
    department="market_regulation",
    assignee=None,
    on_the_spot=None,
    form=(),
    separate_from=(),
    task_id="t-1",
):
    return {
        "task_id": task_id,
        "case_no": "C1",
        "process_key": "licence",
        "element_id": element_id,
        "name": element_id.title(),
        "role": role,
        "department": department,
        "assignee": assignee,
        "candidate_users": [],
        "on_the_spot": on_the_spot,
        "form": list(form),
        "instructions": None,
        "created_at": to_millis(NOW),
        "due_at": None,
        "separate_from": list(separate_from),
        "excluded": [],
    }


def done(element_id, by, on_the_spot_by=None, task_id=None, role="reviewer", department="market_regulation"):
    return {
        "task_id": task_id or f"done-{element_id}",
        "element_id": element_id,
        "name": element_id.title(),
        "role": role,
        "department": department,
        "assignee": None,
        "on_the_spot": None,
        "candidate_users": [],
        "completed_by": by,
        "completed_at": to_millis(NOW - timedelta(hours=1)),
        "on_the_spot_by": on_the_spot_by,
    }


def instance(**fields):
    plain = {
        "pk": "i1",
        "case_no": "C1",
        "process_key": "licence",
        "department": "market_regulation",
        "item_code": "MR-01",
        "rev": 3,
        "status": "in_progress",
        "incident": {},
        "waiting_messages": [],
        "next_timer_at": None,
        "open_tasks": [],
        "done": [],
        "parent_case": None,
    }
    return SimpleNamespace(**{**plain, **fields})


def engine_task(
    task_id="t-1",
    element_id="review",
    role="reviewer",
    department=None,
    due=None,
    on_the_spot_role=None,
    separate_from=(),
    assignee=None,
    candidate_users=(),
):
    """An open user task as ``bpmn_engine.open_user_tasks`` describes it."""
    return {
        "id": task_id,
        "element_id": element_id,
        "name": element_id.title(),
        "role": role,
        "department": department,
        "assignee": assignee,
        "candidate_users": list(candidate_users),
        "on_the_spot_role": on_the_spot_role,
        "form": [],
        "instructions": None,
        "due": due,
        "separate_from": list(separate_from),
    }


class Roster:
    """A staff roster as ``roles.no_one_reason`` asks it."""

    def __init__(self, members):
        self.members = members

    def known(self):
        return bool(self.members)

    def exists(self, username):
        return username in self.members

    def holds(self, username, role, department):
        return self.members.get(username) == (role, department)

    def any_holder(self, role, department):
        return (role, department) in self.members.values()


# Who may complete a task, and with what data


def test_a_task_of_another_role_or_department_is_not_in_the_users_work_list():
    with pytest.raises(NotFound):
        step_rules.completion_data(instance(), open_task(), TAX_REVIEWER, {})
    with pytest.raises(NotFound):
        step_rules.completion_data(instance(), open_task(), CLERK, {})


def test_an_assigned_task_is_its_assignees_alone():
    task = open_task(assignee="reviewer2")
    with pytest.raises(NotFound):
        step_rules.completion_data(instance(), task, REVIEWER, {})
    assert step_rules.completion_data(instance(), task, OTHER_REVIEWER, {}) == {}


def test_form_data_is_checked_against_the_form():
    task = open_task(form=DECISION_FORM)
    with pytest.raises(InvalidInput):
        step_rules.completion_data(instance(), task, REVIEWER, {})
    assert step_rules.completion_data(instance(), task, REVIEWER, {"decision": "approve"})["decision"] == "approve"


def test_a_return_needs_its_reason():
    task = open_task(form=DECISION_FORM)
    with pytest.raises(InvalidInput):
        step_rules.completion_data(instance(), task, REVIEWER, {"decision": "return"})
    assert step_rules.completion_data(instance(), task, REVIEWER, {"decision": "return", "return_reason": "typo"})


def test_a_refusal_at_acceptance_needs_a_reason():
    accept = open_task(
        element_id="accept",
        role="clerk",
        department="hall",
        form=[
            {"id": "intake_decision", "label": "d", "type": "string", "required": True, "readonly": False},
            {"id": "reason", "label": "r", "type": "string", "required": False, "readonly": False},
        ],
    )
    with pytest.raises(InvalidInput):
        step_rules.completion_data(instance(), accept, CLERK, {"intake_decision": "refuse"})
    assert step_rules.completion_data(instance(), accept, CLERK, {"intake_decision": "refuse", "reason": "late"})


def test_a_chief_who_accepted_on_the_spot_names_the_window_of_the_decision():
    accepted = instance(done=[done("accept", "clerk", on_the_spot_by="chief", role="clerk", department="hall")])
    decide = open_task(element_id="decide", role="chief", assignee="chief", form=DECISION_FORM)
    with pytest.raises(InvalidInput):
        step_rules.completion_data(accepted, decide, CHIEF, {"decision": "approve"})
    assert step_rules.completion_data(accepted, decide, CHIEF, {"decision": "approve", "window": "A3"})
    by_the_clerk = instance(done=[done("accept", "clerk", role="clerk", department="hall")])
    assert step_rules.completion_data(by_the_clerk, decide, CHIEF, {"decision": "approve"})


def test_completing_through_the_on_the_spot_claim_records_the_chief():
    accept = open_task(element_id="accept_here", role="clerk", department="hall", on_the_spot="chief:market_regulation")
    assert step_rules.completion_data(instance(), accept, CHIEF, {}) == {"on_the_spot_by": "chief"}
    assert step_rules.completion_data(instance(), accept, CLERK, {}) == {}


def test_separation_of_duties_refuses_who_completed_a_task_it_is_separated_from():
    reviewed = instance(done=[done("review", "reviewer")])
    second = open_task(element_id="second_review", separate_from=["review"], task_id="t-2")
    with pytest.raises(Forbidden, match="审批分离"):
        step_rules.completion_data(reviewed, second, REVIEWER, {})
    assert step_rules.completion_data(reviewed, second, OTHER_REVIEWER, {}) == {}


def test_a_completed_task_is_a_conflict_for_who_could_have_done_it_and_unknown_to_others():
    history = [done("review", "reviewer2", task_id="t-1")]
    assert isinstance(step_rules.not_open("t-1", history, REVIEWER), Conflict)
    assert "reviewer2" in str(step_rules.not_open("t-1", history, REVIEWER))
    assert isinstance(step_rules.not_open("t-1", history, TAX_REVIEWER), NotFound)
    assert isinstance(step_rules.not_open("t-9", history, REVIEWER), NotFound)
    assert isinstance(step_rules.not_open("t-1", [], REVIEWER), NotFound)


# What a step produces


def test_open_tasks_take_the_role_mapping_and_the_hall_department_and_keep_their_creation_time():
    earlier = to_millis(NOW - timedelta(days=1))
    before = instance(
        open_tasks=[{"task_id": "t-1", "created_at": earlier}],
        done=[done("accept", "clerk", role="clerk", department="hall")],
    )
    tasks = step_rules.open_tasks(
        before,
        [
            engine_task("t-1", "review", role="Reviewer"),
            engine_task("t-2", "collect", role="cashier", separate_from=["accept"]),
        ],
        {"Reviewer": {"role": "reviewer", "department": "taxation"}},
        NOW,
    )
    review, collect = tasks
    assert (review["role"], review["department"], review["created_at"]) == ("reviewer", "taxation", earlier)
    assert (collect["role"], collect["department"], collect["created_at"]) == ("cashier", "hall", to_millis(NOW))
    assert collect["excluded"] == ["clerk"]


def test_tasks_with_a_due_time_come_first_and_a_due_time_without_a_zone_counts_as_none():
    due = (NOW + timedelta(days=2)).isoformat()
    timed, naive = step_rules.open_tasks(
        instance(), [engine_task("t-1", due=due), engine_task("t-2", due="2026-12-05T09:00:00")], {}, NOW
    )
    assert timed["due_at"] == to_millis(NOW + timedelta(days=2)) == timed["due_order"]
    assert naive["due_at"] is None and naive["due_order"] > timed["due_order"]
    assert step_rules.due_order(None, 1) < step_rules.due_order(None, 2)


def test_an_on_the_spot_task_is_claimable_by_that_role_of_the_cases_department():
    [task] = step_rules.open_tasks(instance(), [engine_task(role="clerk", on_the_spot_role="chief")], {}, NOW)
    assert task["on_the_spot"] == "chief:market_regulation"


def test_a_done_task_remembers_who_completed_it_and_through_which_claim():
    task = open_task()
    remembered = step_rules.done_task(task, "chief", {"on_the_spot_by": "chief", "x": 1}, NOW)
    assert remembered["completed_by"] == "chief" and remembered["on_the_spot_by"] == "chief"
    assert remembered["completed_at"] == to_millis(NOW) and "x" not in remembered and "form" not in remembered


def test_status_and_progress_hide_an_incident_from_the_applicant():
    assert step_rules.status({"element_id": "x"}, False) == "incident"
    assert step_rules.status(None, True) == "completed"
    assert step_rules.status(None, False) == "in_progress"
    held = step_rules.progress(instance(status="incident"), ["Review"], None, None)
    assert held == {
        "case_no": "C1",
        "rev": 3,
        "status": "in_progress",
        "current_step": "Review",
        "outcome": None,
        "outcome_label": None,
    }
    ended = step_rules.progress(instance(status="completed"), [], "approved", "准予许可")
    assert (ended["status"], ended["current_step"], ended["outcome"], ended["outcome_label"]) == (
        "completed",
        None,
        "approved",
        "准予许可",
    )
    assert step_rules.progress(instance(status="completed"), [], "end_other", "x")["outcome"] is None


def test_a_steps_events_end_with_its_progress_and_ask_for_payment_when_it_starts_to_wait_for_it():
    now_waiting = instance(waiting_messages=["payment_confirmed"])
    progressed = step_rules.progress(now_waiting, ["Pay"], None, None)
    events = step_rules.step_events(
        now_waiting, None, step_rules.Before(None), None, {"fee_fen": 1500}, progressed, "system", NOW
    )
    assert [name for name, _ in events] == ["payment_required", "case_progressed"]
    assert events[0][1]["fee_fen"] == 1500 and events[-1][1] == progressed
    already = step_rules.Before(now_waiting)
    again = step_rules.step_events(now_waiting, None, already, None, {}, progressed, "system", NOW)
    assert again == [("case_progressed", progressed)]


def test_an_acceptance_announces_the_accepted_case():
    progressed = step_rules.progress(instance(), ["Review"], None, None)
    events = step_rules.step_events(
        instance(),
        ("accept", {"intake_decision": "accept"}),
        step_rules.Before(None),
        None,
        {},
        progressed,
        "clerk",
        NOW,
    )
    assert events[0][0] == "case_accepted" and events[0][1]["accepted_by"] == "clerk"


def test_audit_entries_are_keyed_by_case_revision_and_place_and_end_with_the_incident():
    held = instance(incident={"element_id": "review", "message": "boom"})
    entries = step_rules.audit(held, [{"kind": "retried", "actor": "admin"}], NOW, "req-1")
    assert [(e["key"], e["kind"], e["rev"], e["request_id"]) for e in entries] == [
        ("C1:3:0", "retried", 3, "req-1"),
        ("C1:3:1", "incident", 3, "req-1"),
    ]
    assert entries[1]["data"] == {"message": "boom"} and entries[1]["actor"] == step_rules.SYSTEM


def test_audit_order_puts_a_received_message_before_the_step_of_the_same_time():
    at = NOW.isoformat()
    step_entries = [{"at": at, "rev": 4, "key": "C1:4:1"}, {"at": at, "rev": 4, "key": "C1:4:0"}]
    received = {"at": at, "key": "C1:message:m1"}
    assert sorted([*step_entries, received], key=step_rules.audit_order) == [received, step_entries[1], step_entries[0]]


def test_a_step_record_is_keyed_by_case_and_revision_or_its_own_key():
    saved = step_rules.step(instance(), [{"kind": "started"}], [], [("case_progressed", {"rev": 3})], NOW, None)
    record = step_rules.record("C1", saved)
    assert record["_id"] == "C1:3" and record["rev"] == 3 and record["at"] == to_millis(NOW)
    assert json.loads(record["body"])["events"] == [["case_progressed", {"rev": 3}]]
    assert step_rules.record_key("C1", {"key": "C1:earlier", "rev": None}) == "C1:earlier"


def test_the_outbox_announces_every_held_step_with_its_answers():
    first = dict(step_rules.step(instance(rev=3), [], [], [("a", {})], NOW, None), answers={"k1": {"ok": 1}})
    second = step_rules.step(instance(rev=4), [], [], [("b", {})], NOW, None)
    outbox = step_rules.Outbox.loads(step_rules.Outbox([first]).add(second).dumps())
    announced = outbox.announcement(instance(rev=4))
    assert (announced.instance_id, announced.rev, announced.events) == ("i1", 4, [("a", {}), ("b", {})])
    assert [r["_id"] for r in announced.records] == ["C1:3", "C1:4"] and announced.answers == {"k1": {"ok": 1}}
    assert outbox.answer("k1") == {"ok": 1} and outbox.answer("k2") is None
    assert step_rules.Outbox.loads("").steps == []


def test_a_completion_answers_the_task_with_the_cases_status_and_current_step():
    events = [("case_accepted", {}), ("case_progressed", {"current_step": "Review"})]
    answer = step_rules.completion_answer(open_task(), "in_progress", events)
    assert (answer["id"], answer["completed"], answer["case_status"], answer["current_step"]) == (
        "t-1",
        True,
        "in_progress",
        "Review",
    )
    assert step_rules.completion_answer(open_task(), "in_progress", [])["current_step"] is None


def test_a_completion_answers_with_its_own_steps_progress_when_an_earlier_one_is_still_in_the_outbox():
    events = [("case_progressed", {"current_step": "Accept"}), ("case_progressed", {"current_step": "Decide"})]
    assert step_rules.completion_answer(open_task(), "in_progress", events)["current_step"] == "Decide"
    assert step_rules.completed_entry(open_task(), "reviewer", {"x": 1}) == {
        "kind": "task_completed",
        "element_id": "review",
        "actor": "reviewer",
        "data": {"x": 1},
    }


# When a case is held


def test_a_process_with_unmapped_roles_starts_held_at_its_start():
    assert step_rules.unmapped_hold("licence", []) is None
    reason, kind = step_rules.unmapped_hold("licence", ["Manager"])
    assert kind == roles.UNMAPPED and "Manager" in reason and "/api/v1/processes/licence/roles" in reason


def test_a_task_nobody_can_do_is_held_and_one_somebody_can_is_not():
    roster = Roster({"reviewer": ("reviewer", "market_regulation")})
    opened = [
        engine_task("t-1", role="reviewer"),
        engine_task("t-2", element_id="decide", role="chief"),
        engine_task("t-3", element_id="odd", role="Manager"),
    ]
    holds = dict(step_rules.no_one_holds(opened, {}, "market_regulation", roster))
    assert set(holds) == {"t-2", "t-3"}
    assert "chief of market_regulation" in holds["t-2"] and "not a role of the hall" in holds["t-3"]
    mapped = step_rules.no_one_holds(
        [engine_task("t-3", role="Manager")], {"Manager": {"role": "reviewer"}}, "market_regulation", roster
    )
    assert mapped == []


def test_only_cases_held_for_their_roles_are_retried_by_a_role_mapping():
    assert step_rules.held_for_roles({"kind": roles.NO_ONE})
    assert step_rules.held_for_roles({"kind": roles.UNMAPPED})
    assert not step_rules.held_for_roles({"kind": "script"})
    assert not step_rules.held_for_roles({}) and not step_rules.held_for_roles(None)


# A department's message


def test_stored_messages_are_handed_over_oldest_first_a_departments_for_thirty_days_the_halls_for_good():
    old = to_millis(NOW - step_rules.MESSAGE_RETENTION - timedelta(minutes=1))
    stored = [
        {"message_id": "m3", "name": "licence_checked", "received_at": to_millis(NOW)},
        {"message_id": "m1", "name": "licence_checked", "received_at": old},
        {"message_id": "m2", "name": "payment_confirmed", "received_at": old},
        {"message_id": "m4", "name": "licence_checked", "received_at": to_millis(NOW - timedelta(days=1))},
    ]
    assert [m["message_id"] for m in step_rules.to_hand_over(stored, ["m4"], NOW)] == ["m2", "m3"]


def test_a_department_cannot_send_the_halls_own_messages():
    with pytest.raises(Forbidden):
        step_rules.check_from_department("payment_confirmed")
    step_rules.check_from_department("licence_checked")


def test_a_message_id_is_the_senders_and_names_one_message():
    assert step_rules.department_message_key("tax", "m1") != step_rules.department_message_key("market", "m1")
    step_rules.check_same_message("m1", ("C1", "checked", {"ok": True}), ("C1", "checked", {"ok": True}))
    with pytest.raises(Conflict):
        step_rules.check_same_message("m1", ("C1", "checked", {"ok": True}), ("C1", "checked", {"ok": False}))


def test_a_message_nothing_of_the_case_waits_for_is_refused_saying_what_it_waits_for():
    step_rules.check_awaited("C1", "checked", {"checked", "payment_confirmed"})
    with pytest.raises(Conflict, match="has ended"):
        step_rules.check_awaited("C1", "checked", set())
    with pytest.raises(Conflict, match=r"waits for: other\)"):
        step_rules.check_awaited("C1", "checked", {"other", "payment_confirmed"})


def test_a_kept_message_says_until_when():
    kept = step_rules.delivery_answer("C1", "checked", "m1", False, NOW)
    assert kept["kept_until"] == (NOW + timedelta(days=30)).isoformat()
    assert step_rules.delivery_answer("C1", "checked", "m1", True, NOW)["kept_until"] is None
