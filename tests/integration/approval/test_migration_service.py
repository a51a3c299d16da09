"""Moving running cases to a new version, on the real broker and store: the dry run first,
then the move, one audit entry per case; a case whose element the new version lacks moves
only with the designer's element map."""

from pathlib import Path

import pytest
from nameko.testing.services import entrypoint_hook

from services.common.errors import InvalidInput

V1 = (Path(__file__).resolve().parents[2] / "fixtures" / "camunda_lanes_clerk_manager.bpmn").read_text(encoding="utf-8")
V2 = V1.replace("Activity_check", "Activity_verify")  # the check, renamed
CLERK = {"username": "clerk", "roles": ["clerk"], "department": "hall"}
DESIGNER = {"username": "designer", "roles": ["designer"], "department": "hall"}
ADMIN = {"username": "admin", "roles": ["admin"], "department": "hall"}
MAPPING = [
    {"diagram_role": "Clerk", "role": "clerk"},
    {"diagram_role": "Manager", "role": "chief", "department": "market_regulation"},
]


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def test_running_cases_move_to_the_new_version_after_a_dry_run(approval):
    call(approval, "deploy_process", V1, "signboard_permit.bpmn")
    call(approval, "set_role_mapping", "signboard_permit", MAPPING, 0, DESIGNER)
    for case_no in ("20261203000201", "20261203000202"):
        call(
            approval,
            "on_case_submitted",
            {
                "case_no": case_no,
                "item_code": "MR-001",
                "department": "market_regulation",
                "process_key": "signboard_permit",
            },
        )
    assert call(approval, "deploy_process", V2, "signboard_permit.bpmn")["version"] == 2

    dry = call(approval, "plan_migration", "signboard_permit", 1, 2, {})
    assert (dry["movable"], dry["staying"]) == (0, 2)
    assert {c["case_no"]: c["unmapped"] for c in dry["cases"]} == {
        "20261203000201": ["Activity_check"],
        "20261203000202": ["Activity_check"],
    }
    with pytest.raises(InvalidInput):
        call(approval, "plan_migration", "signboard_permit", 1, 2, {"Activity_check": "Activity_nowhere"})
    element_map = {"Activity_check": "Activity_verify"}
    assert call(approval, "plan_migration", "signboard_permit", 1, 2, element_map)["movable"] == 2
    assert call(approval, "get_case_process", "20261203000201", ADMIN)["process_version"] == 1  # a dry run

    done = call(approval, "migrate_instances", "signboard_permit", 1, 2, element_map, DESIGNER)
    assert (done["migrated"], [c["migrated"] for c in done["cases"]]) == (2, [True, True])
    view = call(approval, "get_case_process", "20261203000201", ADMIN)
    assert (view["process_version"], view["status"]) == (2, "in_progress")
    (migrated,) = [e for e in view["audit"] if e["kind"] == "migrated"]
    assert (
        migrated["actor"],
        migrated["data"]["from_version"],
        migrated["data"]["to_version"],
        migrated["data"]["element_map"],
    ) == ("designer", 1, 2, element_map)
    verify = next(t for t in call(approval, "list_tasks", CLERK) if t["case_no"] == "20261203000201")
    assert verify["element_id"] == "Activity_verify"
    call(approval, "complete_task", verify["id"], {"papers_ok": True}, CLERK)
    assert [v["running_instances"] for v in call(approval, "list_process_versions", "signboard_permit")] == [0, 2]
    assert call(approval, "plan_migration", "signboard_permit", 1, 2, {})["cases"] == []
