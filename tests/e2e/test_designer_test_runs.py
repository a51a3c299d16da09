"""Process designers test-run their diagrams through the gateway: diagrams of the corpus
(tests/fixtures/diagrams, one of each kind: Camunda generated forms and JUEL, gateways and
department lanes, messages, timers, decision tables, Camunda Forms, spiff-arena forms and
scripts, a collaboration whose message starts its partner, a plain export, a refusal) run
undeployed to their named end with the data their forms ask for, as the manifest describes them. A test run of a hall flow stays out of the
hall: no work list, no statistic, no public lookup.

`TEST_RUN_CORPUS=all` drives every corpus entry without a `gap` this way (about a minute
more); the suite runs the subset, and tests/unit/approval/test_diagram_corpus.py drives every
entry through the engine."""

import json
import os
from pathlib import Path

import pytest
import yaml

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "diagrams"
MANIFEST = yaml.safe_load((CORPUS / "manifest.yaml").read_text(encoding="utf-8"))
RUNS = "/api/v1/processes/test-runs"
SUBSET = (
    "camunda_generated_form_juel__large_amount",
    "camunda_inclusive_parallel",
    "camunda_boundary_timer_message__reviewed",
    "camunda_timers_date_cycle",
    "camunda_business_rule_fee__paid",
    "camunda_form_ref",
    "spiff_lanes_forms_scripts__fit",
    "signavio_export__accepted",
    "spiff_message_correlation",
    "camunda_service_java_class",
)
ENTRIES = (
    [name for name, entry in MANIFEST.items() if "gap" not in entry]
    if os.environ.get("TEST_RUN_CORPUS") == "all"
    else SUBSET
)


def _json(value):
    return json.loads(json.dumps(value, default=str))  # YAML dates as the ISO text a form takes


def upload(entry):
    needs = entry.get("needs", {})
    return {
        "xml": (CORPUS / entry["file"]).read_text(encoding="utf-8"),
        "filename": entry["file"],
        "dmn": [(CORPUS / name).read_text(encoding="utf-8") for name in needs.get("dmn", ())],
        "forms": {name: json.loads((CORPUS / name).read_text(encoding="utf-8")) for name in needs.get("forms", ())},
    }


def answered(response):
    assert response.status_code in (200, 201), response.text
    return response.json()


def step_through(gateway, run, step):
    """One manifest step as a designer does it through the test-run API."""
    path = f"{RUNS}/{run['run_id']}"
    if "complete" in step:
        task = next((t for t in run["open_tasks"] if t["element_id"] == step["complete"]), None)
        assert task is not None, f"{step['complete']} is not open: {run['open_tasks']}"
        for key, expected in step.get("expect", {}).items():
            assert ([f["id"] for f in task["form"]] if key == "form" else task[key]) == expected, key
        return answered(
            gateway.post(
                f"{path}/tasks/{task['id']}/complete", as_user="designer", json={"data": _json(step.get("data", {}))}
            )
        )
    if "open" in step:
        assert sorted(t["element_id"] for t in run["open_tasks"]) == sorted(step["open"])
    elif "fired" in step:  # a clock step: the designer fires the timers it names now
        for element_id in step["fired"]:
            run = answered(gateway.post(f"{path}/timers/{element_id}/fire", as_user="designer"))
    elif "deliver" in step:
        run = answered(
            gateway.post(
                f"{path}/messages/{step['deliver']}", as_user="designer", json={"data": _json(step.get("data", {}))}
            )
        )
        assert run["steps"][-1]["element_id"] == step.get("caught_by", run["steps"][-1]["element_id"])
    elif "waiting" in step:
        assert sorted(run["waiting_messages"]) == sorted(step["waiting"])
    else:
        raise AssertionError(f"a step the test run cannot take: {step}")
    return run


@pytest.mark.parametrize("name", ENTRIES)
def test_a_corpus_diagram_test_runs_undeployed_to_its_named_end_or_is_refused(gateway, name):
    entry = MANIFEST[name]
    answer = gateway.post(RUNS, as_user="designer", json=dict(upload(entry), data=_json(entry.get("data", {}))))
    if "refused" in entry:
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == (entry["refused"]["element"] or "diagram")
        assert entry["refused"]["reason_contains"] in answer.json()["errors"][0]["message"]
        return
    run = answered(answer)
    for step in entry.get("steps", ()):
        assert run["incident"] is None, run["incident"]
        run = step_through(gateway, run, step)

    assert (run["status"], run["outcome"]["element_id"], run["open_tasks"]) == ("completed", entry["runs_to"], [])
    assert entry["runs_to"] in run["path"]["done"]
    assert {key: run["data"].get(key) for key in entry.get("data_after", {})} == _json(entry.get("data_after", {}))
    assert gateway.get(f"/api/v1/processes/{run['process_key']}", as_user="designer").status_code == 404


def test_a_test_run_of_a_hall_flow_stays_out_of_work_lists_statistics_and_the_public_lookup(gateway):
    stats = gateway.get("/api/v1/stats", as_user="supervisor").json()
    run = answered(
        gateway.post(
            RUNS,
            as_user="designer",
            json={"process_key": "immediate_item", "data": {"department": "market_regulation"}},
        )
    )
    [accept] = run["open_tasks"]
    assert (accept["element_id"], accept["role"]) == ("accept", "clerk")
    clerk_tasks = gateway.get("/api/v1/tasks", as_user="clerk", params={"limit": 200}).json()["tasks"]
    assert run["run_id"] not in {t["case_no"] for t in clerk_tasks}
    assert gateway.get(f"/api/v1/public/cases/{run['run_id']}", params={"query_code": "000000"}).status_code in (
        400,
        404,
    )
    refused = gateway.post(
        f"{RUNS}/{run['run_id']}/tasks/{accept['id']}/complete",
        as_user="designer",
        json={"data": {"intake_decision": "refuse"}},
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "reason"
    assert gateway.get(f"{RUNS}/{run['run_id']}", as_user="clerk").status_code == 403

    run = answered(
        gateway.post(
            f"{RUNS}/{run['run_id']}/tasks/{accept['id']}/complete",
            as_user="admin",
            json={"data": {"intake_decision": "accept"}},
        )
    )
    decide = run["open_tasks"][0]
    assert decide["role"] == "chief"
    chief_tasks = gateway.get("/api/v1/tasks", as_user="chief", params={"limit": 200}).json()["tasks"]
    assert decide["id"] not in {t["id"] for t in chief_tasks}
    assert gateway.post(f"/api/v1/tasks/{decide['id']}/complete", as_user="chief", json={"data": {}}).status_code == 404
    assert gateway.get("/api/v1/stats", as_user="supervisor").json() == stats
    assert gateway.request("DELETE", f"{RUNS}/{run['run_id']}", as_user="designer").status_code == 204
    assert gateway.get(f"{RUNS}/{run['run_id']}", as_user="designer").status_code == 404
