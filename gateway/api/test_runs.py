"""Test runs of processes for process designers: a test instance of a deployed version or of
an uploaded diagram, whose tasks the designer completes as any role, whose timers fire on
demand and which takes messages; its path shows on the designer page. Test runs are no cases
(ids ``T-…``): no work list, statistic, supervision or lookup meets them, and they are removed
7 days after they started (docs/designers.md, "Test runs")."""

import re

from flask import Blueprint, g, jsonify

from gateway.api import rpc
from gateway.api.specs.messages import NAME_PATTERN
from gateway.api.specs.test_runs import ELEMENT_PATTERN, RUN_PATTERN, TASK_PATTERN
from gateway.auth import requires_role
from gateway.idempotency import idempotency
from gateway.problems import Problem
from gateway.validation import json_body

bp = Blueprint("test_runs", __name__, url_prefix="/api/v1/processes/test-runs")

DESIGNERS = ("designer", "admin")


def _checked(value, pattern, what):
    if not re.fullmatch(pattern, value):
        raise Problem(400, "Bad request", f"not a valid {what}: {value!r}")
    return value


@bp.post("")
@requires_role(*DESIGNERS)
def start_test_run():
    body = json_body("TestRunStart")
    source = {key: body[key] for key in ("process_key", "version", "xml", "filename", "dmn", "forms") if key in body}
    response = jsonify(
        rpc().approval.start_test_run(source, body.get("data") or {}, g.principal, idempotency=idempotency(body))
    )
    response.status_code = 201
    return response


@bp.get("/<run_id>")
@requires_role(*DESIGNERS)
def get_test_run(run_id):
    return jsonify(rpc().approval.get_test_run(_checked(run_id, RUN_PATTERN, "test run id")))


@bp.delete("/<run_id>")
@requires_role(*DESIGNERS)
def discard_test_run(run_id):
    rpc().approval.discard_test_run(_checked(run_id, RUN_PATTERN, "test run id"), idempotency=idempotency())
    return "", 204


@bp.post("/<run_id>/tasks/<task_id>/complete")
@requires_role(*DESIGNERS)
def complete_test_task(run_id, task_id):
    body = json_body("TestRunInput")
    return jsonify(
        rpc().approval.complete_test_task(
            _checked(run_id, RUN_PATTERN, "test run id"),
            _checked(task_id, TASK_PATTERN, "task id"),
            body.get("data") or {},
            g.principal,
            idempotency=idempotency(body),
        )
    )


@bp.post("/<run_id>/timers/<element_id>/fire")
@requires_role(*DESIGNERS)
def fire_test_timer(run_id, element_id):
    return jsonify(
        rpc().approval.fire_test_timer(
            _checked(run_id, RUN_PATTERN, "test run id"),
            _checked(element_id, ELEMENT_PATTERN, "element id"),
            g.principal,
            idempotency=idempotency(),
        )
    )


@bp.post("/<run_id>/messages/<name>")
@requires_role(*DESIGNERS)
def deliver_test_message(run_id, name):
    body = json_body("TestRunInput")
    return jsonify(
        rpc().approval.deliver_test_message(
            _checked(run_id, RUN_PATTERN, "test run id"),
            _checked(name, NAME_PATTERN, "message name"),
            body.get("data") or {},
            g.principal,
            idempotency=idempotency(body),
        )
    )
