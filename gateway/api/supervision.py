"""Electronic supervision (电子监察): warnings, accountability records, a case's standing
against its limit, and approved extensions. The supervision bureau sees every
department; department staff see their own (the monitor filters by the caller)."""

from flask import Blueprint, g, jsonify

from gateway.api import rpc
from gateway.auth import requires_role
from gateway.idempotency import idempotency
from gateway.query import query_params
from gateway.validation import json_body

WATCHERS = ("supervisor", "reviewer", "chief", "admin")

bp = Blueprint("supervision", __name__, url_prefix="/api/v1/supervision")


@bp.get("/warnings")
@requires_role(*WATCHERS)
def list_warnings():
    level = query_params("/api/v1/supervision/warnings").get("level")
    return jsonify(warnings=rpc().monitor.list_warnings(g.principal, level))


@bp.get("/cases/<case_no>")
@requires_role(*WATCHERS)
def case_standing(case_no):
    return jsonify(rpc().monitor.get_case_standing(case_no, g.principal))


@bp.post("/cases/<case_no>/extensions")
@requires_role("chief")
def approve_extension(case_no):
    body = json_body("ExtensionRequest")
    extension = rpc().monitor.approve_extension(
        case_no, body["days"], body["reason"], g.principal, idempotency=idempotency(body)
    )
    return jsonify(extension), 201


@bp.post("/cases/<case_no>/suspension")
@requires_role("chief")
def suspend_case(case_no):
    body = json_body("SuspensionRequest")
    return jsonify(
        rpc().monitor.suspend_case(
            case_no, body["procedure"], body["reason"], g.principal, idempotency=idempotency(body)
        )
    ), 201


@bp.post("/cases/<case_no>/resumption")
@requires_role("chief")
def resume_case(case_no):
    return jsonify(rpc().monitor.resume_case(case_no, g.principal, idempotency=idempotency()))


@bp.get("/accountability")
@requires_role(*WATCHERS)
def list_accountability():
    status = query_params("/api/v1/supervision/accountability").get("status")
    return jsonify(records=rpc().monitor.list_accountability(g.principal, status))


@bp.post("/accountability/<case_no>/acknowledge")
@requires_role("supervisor")
def acknowledge(case_no):
    return jsonify(rpc().monitor.acknowledge_accountability(case_no, g.principal, idempotency=idempotency()))


@bp.post("/accountability/<case_no>/close")
@requires_role("supervisor")
def close(case_no):
    body = json_body("Resolution")
    return jsonify(
        rpc().monitor.close_accountability(case_no, body["resolution"], g.principal, idempotency=idempotency(body))
    )
