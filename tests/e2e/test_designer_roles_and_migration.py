"""A process designer brings a Camunda Modeler diagram whose lanes are "Clerk" and "Manager":
the deploy lists them as findings, the designer maps them to the hall's roles (a wrong or
stale mapping answered with a problem), then deploys a second version and asks which running
cases would move to it before moving them."""

from pathlib import Path

V1 = (
    (Path(__file__).resolve().parents[1] / "fixtures" / "camunda_lanes_clerk_manager.bpmn")
    .read_text(encoding="utf-8")
    .replace('id="signboard_permit"', 'id="e2e_signboard_permit"')
)
V2 = V1.replace("Activity_check", "Activity_verify")
KEY = "e2e_signboard_permit"
PROBLEM = "application/problem+json"


def test_a_designer_maps_a_diagrams_roles_and_plans_moving_its_cases(gateway):
    deployed = gateway.post("/api/v1/processes", "designer", json={"xml": V1, "filename": "signboard_permit.bpmn"})
    assert deployed.status_code == 201, deployed.text
    assert deployed.json()["unmapped_roles"] == ["Clerk", "Manager"]
    assert gateway.get(f"/api/v1/processes/{KEY}/roles", "designer").json()["unmapped_roles"] == ["Clerk", "Manager"]

    wrong = gateway.request(
        "PUT",
        f"/api/v1/processes/{KEY}/roles",
        "designer",
        json={"roles": [{"diagram_role": "Manager", "role": "boss"}], "rev": 0},
    )
    assert (wrong.status_code, wrong.headers["Content-Type"]) == (422, PROBLEM)
    assert wrong.json()["errors"][0]["field"] == "roles[0]"
    assert (
        gateway.request("PUT", f"/api/v1/processes/{KEY}/roles", "clerk", json={"roles": [], "rev": 0}).status_code
        == 403
    )
    mapping = [
        {"diagram_role": "Clerk", "role": "clerk"},
        {"diagram_role": "Manager", "role": "chief", "department": "market_regulation"},
    ]
    mapped = gateway.request("PUT", f"/api/v1/processes/{KEY}/roles", "designer", json={"roles": mapping, "rev": 0})
    assert mapped.status_code == 200, mapped.text
    assert (mapped.json()["unmapped_roles"], mapped.json()["history"][0]["by"]) == ([], "designer")
    stale = gateway.request("PUT", f"/api/v1/processes/{KEY}/roles", "admin", json={"roles": [], "rev": 0})
    assert (stale.status_code, stale.headers["Content-Type"]) == (409, PROBLEM)

    assert gateway.post("/api/v1/processes", "designer", json={"xml": V2}).json()["version"] == 2
    same = gateway.post(
        f"/api/v1/processes/{KEY}/migrations/dry-run", "designer", json={"from_version": 2, "to_version": 2}
    )
    assert (same.status_code, same.headers["Content-Type"]) == (422, PROBLEM)
    unknown = gateway.post(
        f"/api/v1/processes/{KEY}/migrations/dry-run",
        "designer",
        json={"from_version": 1, "to_version": 2, "element_map": {"Activity_gone": "Activity_verify"}},
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "element_map.Activity_gone"
    element_map = {"Activity_check": "Activity_verify"}
    dry = gateway.post(
        f"/api/v1/processes/{KEY}/migrations/dry-run",
        "designer",
        json={"from_version": 1, "to_version": 2, "element_map": element_map},
    )
    assert dry.status_code == 200 and dry.json()["cases"] == []
    moved = gateway.post(
        f"/api/v1/processes/{KEY}/migrations",
        "admin",
        json={"from_version": 1, "to_version": 2, "element_map": element_map},
    )
    assert (moved.status_code, moved.json()["migrated"]) == (200, 0)
    assert (
        gateway.post(
            f"/api/v1/processes/{KEY}/migrations", "clerk", json={"from_version": 1, "to_version": 2}
        ).status_code
        == 403
    )
