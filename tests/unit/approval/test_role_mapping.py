"""Who does a diagram's tasks: the roles a diagram names, their mapping onto the hall's, the
rule that a task nobody can do is an incident, and outcomes and steps in words."""

import json
from pathlib import Path

import pytest

from services.approval import bpmn_engine, roles
from services.common.errors import InvalidInput

FIXTURES = Path(__file__).parents[2] / "fixtures"
LANES = (FIXTURES / "camunda_lanes_clerk_manager.bpmn").read_bytes()
MAPPING = {
    "Clerk": {"diagram_role": "Clerk", "role": "clerk", "department": None},
    "Manager": {"diagram_role": "Manager", "role": "chief", "department": "market_regulation"},
}


class Roster:
    """An in-memory staff roster: ``{username: (roles, department)}``."""

    def __init__(self, members):
        self.members = members

    def known(self):
        return bool(self.members)

    def exists(self, username):
        return username in self.members

    def holds(self, username, role, department):
        return (
            username in self.members and role in self.members[username][0] and self.members[username][1] == department
        )

    def any_holder(self, role, department):
        return any(self.holds(name, role, department) for name in self.members)


HALL = Roster(
    {"clerk": (("clerk",), "hall"), "chief": (("chief",), "market_regulation"), "wang": (("reviewer",), "taxation")}
)


def task(role="", department=None, assignee=None, candidate_users=(), name="审批 Approve"):
    return {
        "name": name,
        "role": role,
        "department": department,
        "assignee": assignee,
        "candidate_users": list(candidate_users),
    }


def test_a_camunda_diagrams_lanes_are_roles_the_hall_does_not_know_until_mapped():
    diagram = bpmn_engine.parse_diagram(LANES)
    assert bpmn_engine.diagram_roles(diagram) == ["Clerk", "Manager"]
    assert roles.unmapped(["Clerk", "Manager", "reviewer"], {}) == ["Clerk", "Manager"]
    assert roles.unmapped(["Clerk", "Manager", "reviewer"], MAPPING) == []


def test_a_mapped_role_gives_the_task_the_hall_role_and_department():
    assert roles.assign(task("Manager"), MAPPING) == ("chief", "market_regulation")
    assert roles.assign(task("Clerk"), MAPPING) == ("clerk", None)
    assert roles.assign(task("reviewer", "taxation"), MAPPING) == ("reviewer", "taxation")


def test_a_mapping_names_hall_roles_and_department_codes_only():
    with pytest.raises(InvalidInput) as refused:
        roles.checked_entries(
            [
                {"diagram_role": "Manager", "role": "boss"},
                {"diagram_role": "Clerk"},
                {"diagram_role": "Expert", "department": "taxation"},
                {"diagram_role": "reviewer", "department": "Tax Office"},
                {"diagram_role": "Manager", "role": "chief"},
            ]
        )
    assert [p["field"] for p in refused.value.errors] == [f"roles[{n}]" for n in range(5)]
    assert roles.checked_entries([{"diagram_role": "reviewer", "department": "taxation"}]) == [
        {"diagram_role": "reviewer", "role": None, "department": "taxation"}
    ]


@pytest.mark.parametrize(
    "open_task, department, reason",
    [
        (task("Manager"), "market_regulation", "not a role of the hall"),
        (task("reviewer"), "health", "no member of staff holds"),
        (task("chief", assignee="wang"), "market_regulation", "assigned to 'wang', who is not a chief"),
        (task(candidate_users=["zhao", "qian"]), None, "none of whom is a member of staff"),
        (task(), None, "resolved to no one"),
    ],
)
def test_a_task_nobody_can_do_has_a_reason(open_task, department, reason):
    assert reason in roles.no_one_reason(open_task, open_task["role"], department, None, HALL)


@pytest.mark.parametrize(
    "open_task, department, on_the_spot",
    [
        (task("chief"), "market_regulation", None),
        (task("chief", assignee="chief"), "market_regulation", None),
        (task(candidate_users=["zhao", "wang"]), None, None),
        (task("reviewer"), "market_regulation", "chief:market_regulation"),
    ],
)
def test_a_task_someone_can_do_has_none(open_task, department, on_the_spot):
    assert roles.no_one_reason(open_task, open_task["role"], department, on_the_spot, HALL) is None


def test_without_a_roster_only_the_rules_that_need_none_apply():
    unknown = Roster({})
    assert roles.no_one_reason(task("reviewer"), "reviewer", "health", None, unknown) is None
    assert roles.no_one_reason(task(candidate_users=["zhao"]), "", None, None, unknown) is None
    assert "not a role of the hall" in roles.no_one_reason(task("Manager"), "Manager", "x", None, unknown)
    assert "resolved to no one" in roles.no_one_reason(task(), "", None, None, unknown)


def test_a_mapping_read_is_kept_for_a_few_seconds_and_forgotten_on_change(monkeypatch):
    reads, now = [], [0.0]
    monkeypatch.setattr(roles, "mapping_of", lambda key: reads.append(key) or {"read": len(reads)})
    mappings = roles.Mappings(clock=lambda: now[0])
    assert mappings.of("p") == mappings.of("p") == {"read": 1}
    now[0] += roles.MAPPING_TTL_SECONDS + 1
    assert mappings.of("p") == {"read": 2}
    mappings.forget("p")
    assert mappings.of("p") == {"read": 3}


def test_a_process_held_at_its_start_runs_from_there_on_retry():
    diagram = bpmn_engine.parse_diagram(LANES)
    case = bpmn_engine.start(diagram, {}, held=("roles not mapped", roles.UNMAPPED))
    assert bpmn_engine.incident(case) == {"element_id": "Start", "message": "roles not mapped", "kind": roles.UNMAPPED}
    assert bpmn_engine.open_user_tasks(case) == []
    bpmn_engine.retry(case)
    assert bpmn_engine.incident(case) is None
    assert [t["element_id"] for t in bpmn_engine.open_user_tasks(case)] == ["Activity_check"]


def test_an_open_task_nobody_can_do_is_held_in_an_incident_there():
    case = bpmn_engine.start(bpmn_engine.parse_diagram(LANES), {})
    opened = bpmn_engine.open_user_tasks(case)[0]
    bpmn_engine.hold_task(case, opened["id"], "nobody", roles.NO_ONE)
    assert bpmn_engine.incident(case) == {"element_id": "Activity_check", "message": "nobody", "kind": roles.NO_ONE}
    assert bpmn_engine.open_user_tasks(case) == []
    bpmn_engine.retry(case)
    assert [t["id"] for t in bpmn_engine.open_user_tasks(case)] == [opened["id"]]


@pytest.mark.parametrize(
    "granted, end, outcome",
    [
        (True, "Event_granted", "准予许可 Permit granted"),  # the designer's label (property `outcome`)
        (False, "Event_denied", "不予许可 Permit denied"),  # no label: the end event's name
    ],
)
def test_a_finished_case_says_its_outcome_in_words(granted, end, outcome):
    case = bpmn_engine.start(bpmn_engine.parse_diagram(LANES), {})
    assert bpmn_engine.current_steps(case) == ["核对材料 Check the papers"]
    assert bpmn_engine.outcome(case) is None
    for data in ({"papers_ok": True}, {"granted": granted}):
        bpmn_engine.complete_task(case, bpmn_engine.open_user_tasks(case)[0]["id"], data)
    assert bpmn_engine.end_event(case) == end
    assert bpmn_engine.outcome(case) == outcome


UNNAMED = (
    LANES.replace(b' name="Permit granted"', b"")
    .replace(
        b'<camunda:property name="outcome" value="\xe5\x87\x86\xe4\xba\x88\xe8\xae\xb8\xe5\x8f\xaf Permit granted" />',
        b"",
    )
    .replace(b' name="\xe6\xa0\xb8\xe5\xaf\xb9\xe6\x9d\x90\xe6\x96\x99 Check the papers"', b"")
)


def test_an_unnamed_step_and_end_are_told_by_what_they_are_never_by_their_ids():
    case = bpmn_engine.start(bpmn_engine.parse_diagram(UNNAMED), {})
    assert bpmn_engine.current_steps(case) == ["待办 Task to do"]
    assert bpmn_engine.open_user_tasks(case)[0]["name"] == "待办 Task to do"
    for data in ({"papers_ok": True}, {"granted": True}):
        bpmn_engine.complete_task(case, bpmn_engine.open_user_tasks(case)[0]["id"], data)
    assert bpmn_engine.outcome(case) == bpmn_engine.DEFAULT_OUTCOME


def test_spiff_arena_lanes_and_camunda_candidate_groups_are_the_roles_a_diagram_names():
    forms = {
        name: json.loads((FIXTURES / name).read_text(encoding="utf-8"))
        for name in ("review-schema.json", "sign-schema.json")
    }
    spiff = (FIXTURES / "spiff_arena_review.bpmn").read_bytes().replace(b'name="reviewer"', b'name="Finance Team"')
    assert bpmn_engine.diagram_roles(bpmn_engine.parse_diagram(spiff, forms=forms)) == ["Finance Team", "chief"]
    camunda = (
        (FIXTURES / "camunda_modeler_review.bpmn")
        .read_bytes()
        .replace(b'camunda:candidateGroups="reviewer"', b'camunda:candidateGroups="Examiner:taxation, reviewer"')
    )
    assert bpmn_engine.diagram_roles(bpmn_engine.parse_diagram(camunda)) == ["Examiner", "chief"]
