"""Applying (统一受理) and following a case: staff view and the public view."""
from flask import Blueprint, g, jsonify, request

from gateway.api import rpc
from gateway.auth import requires_role
from gateway.problems import Problem
from gateway.validation import json_body

STAFF_ROLES = ("clerk", "reviewer", "chief", "cashier", "supervisor", "admin")

bp = Blueprint("cases", __name__, url_prefix="/api/v1")


@bp.post("/cases")
def submit_case():
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 8 <= len(key) <= 128:
        raise Problem(400, "Bad request", "Idempotency-Key must be 8 to 128 characters")
    application = json_body("Application")
    receipt = rpc().call("intake", "submit_case", application, idempotency_key=key)
    created = receipt.pop("created")
    response = jsonify(receipt)
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/api/v1/cases/{receipt['case_no']}"
    return response


@bp.get("/cases/<case_no>")
@requires_role(*STAFF_ROLES)
def get_case(case_no):
    return jsonify(rpc().call("intake", "get_case", case_no, g.principal))


@bp.get("/public/cases/<case_no>")
def get_public_case(case_no):
    query_code = request.args.get("query_code")
    if not query_code:
        raise Problem(400, "Bad request", "query_code is required: it is printed on the receipt")
    return jsonify(rpc().call("intake", "get_public_case", case_no, query_code))
