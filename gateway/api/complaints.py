"""Complaints (效能投诉) and the investment-environment "110" hotline, and evaluations
(好差评) with the rectification of bad reviews. Complainants and applicants need no
account: a complaint is followed with its follow code, a case is evaluated with its
query code (checked by intake)."""

from flask import Blueprint, g, jsonify, request

from gateway.api import rpc
from gateway.auth import requires_role
from gateway.idempotency import idempotency
from gateway.problems import Problem
from gateway.query import query_params
from gateway.validation import json_body

HANDLERS = ("supervisor", "chief", "reviewer")

bp = Blueprint("complaints", __name__, url_prefix="/api/v1")


@bp.post("/complaints")
def file_complaint():
    body = json_body("ComplaintForm")
    once = idempotency(body)
    channel = body.pop("channel", "public")
    receipt = rpc().monitor.file_complaint(body, channel, idempotency=once)
    answer = {key: receipt[key] for key in ("complaint_no", "follow_code", "status", "accept_by")}
    return jsonify(answer), 201


@bp.get("/complaints")
@requires_role(*HANDLERS)
def list_complaints():
    status = query_params("/api/v1/complaints").get("status")
    return jsonify(complaints=rpc().monitor.list_complaints(g.principal, status))


@bp.post("/complaints/<complaint_no>/transitions")
@requires_role("supervisor")
def move_complaint(complaint_no):
    body = json_body("ComplaintMove")
    return jsonify(
        rpc().monitor.move_complaint(
            complaint_no, body["to"], body.get("note"), g.principal, idempotency=idempotency(body)
        )
    )


@bp.get("/public/complaints/<complaint_no>")
def follow_complaint(complaint_no):
    follow_code = request.args.get("follow_code")
    if not follow_code:
        raise Problem(400, "Bad request", "follow_code is required: it was given when the complaint was filed")
    return jsonify(rpc().monitor.follow_complaint(complaint_no, follow_code))


@bp.post("/evaluations")
def evaluate_case():
    body = json_body("EvaluationForm")
    case = rpc().intake.get_public_case(body["case_no"], body["query_code"])  # 404 unless the code fits
    if not case["evaluable"]:
        raise Problem(
            409,
            "Conflict",
            f"case {body['case_no']} has no result yet (it is {case['status']}): "
            "a case is evaluated once it is decided",
        )
    evaluation = rpc().monitor.evaluate_case(
        body["case_no"], body["level"], body.get("comment"), idempotency=idempotency(body)
    )
    return jsonify(evaluation), 201


@bp.get("/evaluations/rectifications")
@requires_role("supervisor", "chief")
def list_rectifications():
    status = query_params("/api/v1/evaluations/rectifications").get("status", "open")
    return jsonify(evaluations=rpc().monitor.list_rectifications(g.principal, status))


@bp.post("/evaluations/<case_no>/rectification")
@requires_role("supervisor", "chief")
def rectify(case_no):
    body = json_body("Rectification")
    return jsonify(
        rpc().monitor.rectify(
            case_no, body["rectification"], body["callback_note"], g.principal, idempotency=idempotency(body)
        )
    )
