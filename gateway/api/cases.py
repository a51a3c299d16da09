"""Applying (统一受理) and following a case: the staff view and search, the public view,
the applicant's supplements (补正) and the collection of the result (出件)."""

from flask import Blueprint, g, jsonify, request

from gateway.api import rpc
from gateway.auth import requires_role
from gateway.idempotency import idempotency
from gateway.problems import Problem
from gateway.query import query_params
from gateway.validation import case_number, json_body

STAFF_ROLES = ("clerk", "reviewer", "chief", "cashier", "supervisor", "admin")

bp = Blueprint("cases", __name__, url_prefix="/api/v1")


@bp.post("/cases")
def submit_case():
    application = json_body("Application")
    receipt = rpc().intake.submit_case(application, idempotency=idempotency(application))
    response = jsonify(receipt)
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/cases/{receipt['case_no']}"
    return response


@bp.get("/cases")
@requires_role(*STAFF_ROLES)
def search_cases():
    params = query_params("/api/v1/cases")
    page, page_size = params.pop("page", 1), params.pop("page_size", 20)
    return jsonify(rpc().intake.search_cases(g.principal, params, page=page, page_size=page_size))


@bp.get("/cases/<case_no>")
@requires_role(*STAFF_ROLES)
def get_case(case_no):
    return jsonify(rpc().intake.get_case(case_number(case_no), g.principal))


@bp.post("/cases/<case_no>/collection")
@requires_role("clerk")
def record_collection(case_no):
    case_number(case_no)
    body = json_body("Collection")
    return jsonify(
        rpc().intake.record_collection(
            case_no, body["how"], g.principal, note=body.get("note"), idempotency=idempotency(body)
        )
    )


@bp.get("/public/cases/<case_no>")
def get_public_case(case_no):
    query_code = request.args.get("query_code")
    if not query_code:
        raise Problem(400, "Bad request", "query_code is required: it is printed on the receipt")
    return jsonify(rpc().intake.get_public_case(case_number(case_no), query_code))


@bp.post("/public/cases/<case_no>/supplements")
def supply_materials(case_no):
    case_number(case_no)
    body = json_body("Supplements")
    return jsonify(
        rpc().intake.supply_materials(case_no, body["query_code"], body["materials"], idempotency=idempotency(body))
    )
