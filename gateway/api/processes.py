"""BPMN processes: deployment for process designers, and each case's process instance for
staff (status, incident, audit trail) with the admin's retry after an incident."""

from flask import Blueprint, Response, g, jsonify

from gateway.api import rpc
from gateway.api.specs.processes import MAX_VERSION
from gateway.auth import requires_role
from gateway.idempotency import idempotency
from gateway.problems import Problem
from gateway.validation import json_body

# Who may look at a case's process: staff of the hall, of its department and of supervision.
PROCESS_VIEWERS = ("clerk", "reviewer", "chief", "cashier", "supervisor", "admin", "designer")

bp = Blueprint("processes", __name__, url_prefix="/api/v1")


@bp.get("/processes")
@requires_role("designer", "admin")
def list_processes():
    return jsonify(processes=rpc().approval.list_processes())


@bp.post("/processes")
@requires_role("designer")
def deploy_process():
    body = json_body("ProcessUpload")
    extra = {name: body[name] for name in ("dmn", "forms") if body.get(name)}
    result = rpc().approval.deploy_process(
        body["xml"], body.get("filename", "diagram.bpmn"), **extra, idempotency=idempotency(body)
    )
    response = jsonify(result)
    response.status_code = 201 if result["created"] else 200
    return response


@bp.post("/processes/validate")
@requires_role("designer")
def validate_process():
    body = json_body("ProcessUpload")
    extra = {name: body[name] for name in ("dmn", "forms") if body.get(name)}
    return jsonify(rpc().approval.validate_process(body["xml"], body.get("filename", "diagram.bpmn"), **extra))


@bp.get("/processes/<key>")
@requires_role("designer", "admin")
def list_process_versions(key):
    return jsonify(key=key, versions=rpc().approval.list_process_versions(key))


@bp.get("/processes/<key>/roles")
@requires_role("designer", "admin")
def get_role_mapping(key):
    return jsonify(rpc().approval.get_role_mapping(key))


@bp.put("/processes/<key>/roles")
@requires_role("designer", "admin")
def set_role_mapping(key):
    body = json_body("RoleMappingUpdate")
    return jsonify(
        rpc().approval.set_role_mapping(key, body["roles"], body["rev"], g.principal, idempotency=idempotency(body))
    )


@bp.post("/processes/<key>/migrations/dry-run")
@requires_role("designer", "admin")
def plan_migration(key):
    body = json_body("MigrationRequest")
    return jsonify(
        rpc().approval.plan_migration(key, body["from_version"], body["to_version"], body.get("element_map") or {})
    )


@bp.post("/processes/<key>/migrations")
@requires_role("designer", "admin")
def migrate_instances(key):
    body = json_body("MigrationRequest")
    return jsonify(
        rpc().approval.migrate_instances(
            key,
            body["from_version"],
            body["to_version"],
            body.get("element_map") or {},
            g.principal,
            idempotency=idempotency(body),
        )
    )


@bp.get("/processes/<key>/versions/<int:version>/xml")
@requires_role("designer", "admin")
def get_process_xml(key, version):
    if version > MAX_VERSION:
        raise Problem(404, "Not found", f"process {key!r} has no version {version}")
    return Response(rpc().approval.get_process_xml(key, version), mimetype="application/xml")


@bp.get("/cases/<case_no>/process")
@requires_role(*PROCESS_VIEWERS)
def get_case_process(case_no):
    return jsonify(rpc().approval.get_case_process(case_no, g.principal))


@bp.get("/incidents")
@requires_role("admin", "designer")
def list_incidents():
    return jsonify(incidents=rpc().approval.list_incidents())


@bp.post("/cases/<case_no>/process/retry")
@requires_role("admin")
def retry_case_process(case_no):
    body = json_body("ProcessRetry")
    return jsonify(
        rpc().approval.retry_case_process(case_no, body.get("data") or {}, g.principal, idempotency=idempotency(body))
    )
