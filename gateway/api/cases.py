"""Applying (统一受理) and following a case: staff view and the public view."""
from flask import Blueprint, g, jsonify, request

from gateway.api import rpc
from gateway.auth import requires_role
from gateway.problems import Problem
from gateway.spec import (
    CASE_NO,
    FORBIDDEN,
    INVALID,
    STAFF,
    UNAUTHORIZED,
    UNAVAILABLE,
    json_response,
    problem,
    request_body,
)
from gateway.validation import json_body

STAFF_ROLES = ("clerk", "reviewer", "chief", "cashier", "supervisor", "admin")

bp = Blueprint("cases", __name__, url_prefix="/api/v1")

SCHEMAS = {
    "Applicant": {
        "type": "object", "additionalProperties": False, "required": ["kind", "name"],
        "description": "A person (resident ID, GB 11643) or a company (unified social credit code, GB 32100).",
        "properties": {
            "kind": {"enum": ["person", "company"]},
            "name": {"type": "string", "minLength": 1, "maxLength": 100},
            "id_number": {"type": "string", "maxLength": 18},
            "credit_code": {"type": "string", "maxLength": 18},
        },
    },
    "Application": {
        "type": "object", "additionalProperties": False, "required": ["item_code", "applicant"],
        "properties": {
            "item_code": {"type": "string", "minLength": 1, "maxLength": 32},
            "applicant": {"$ref": "#/components/schemas/Applicant"},
            "materials": {"type": "array", "maxItems": 50,
                          "items": {"type": "string", "minLength": 1, "maxLength": 64}},
            "form": {"type": "object", "maxProperties": 50},
        },
    },
    "CaseReceipt": {
        "type": "object", "required": ["case_no", "query_code", "status"],
        "properties": {"case_no": {"type": "string"}, "query_code": {"type": "string"},
                       "status": {"type": "string"}, "item_code": {"type": "string"},
                       "submitted_at": {"type": "string", "format": "date-time"}, "next": {"type": "string"}},
    },
    "PublicCase": {
        "type": "object", "description": "What an applicant sees with the query code: no personal data.",
        "properties": {"case_no": {"type": "string"}, "item_code": {"type": "string"},
                       "item_name": {"type": "string"}, "status": {"type": "string"},
                       "current_step": {"type": ["string", "null"]}, "outcome": {"type": ["string", "null"]},
                       "submitted_at": {"type": "string"}, "updated_at": {"type": "string"}},
    },
    "Case": {
        "type": "object", "description": "The staff view of a case.",
        "properties": {"case_no": {"type": "string"}, "item_code": {"type": "string"},
                       "item_name": {"type": "string"}, "department": {"type": "string"},
                       "applicant": {"type": "object"}, "materials": {"type": "array", "items": {"type": "string"}},
                       "form": {"type": "object"}, "status": {"type": "string"},
                       "current_step": {"type": ["string", "null"]}, "outcome": {"type": ["string", "null"]},
                       "submitted_at": {"type": "string"}, "updated_at": {"type": "string"}},
    },
}

PATHS = {
    "/api/v1/cases": {"post": {
        "summary": "Apply for an item (统一受理). A repeated `Idempotency-Key` returns the first case.",
        "tags": ["cases"],
        "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                        "schema": {"type": "string", "minLength": 8, "maxLength": 128},
                        "description": "Makes a retried submission return the same case."}],
        "requestBody": request_body("Application", "The application."),
        "responses": {"201": json_response("The case was registered.", "CaseReceipt"),
                      "200": json_response("The same Idempotency-Key was used before: the first case.", "CaseReceipt"),
                      "400": problem("Not JSON, or a bad header."), "404": problem("No such item."),
                      "415": problem("Not JSON."), "422": INVALID, "503": UNAVAILABLE}}},
    "/api/v1/cases/{case_no}": {"get": {
        "summary": "A case, for staff of its department and of the hall.", "tags": ["cases"],
        "security": STAFF, "parameters": [CASE_NO],
        "responses": {"200": json_response("The case.", "Case"), "401": UNAUTHORIZED, "403": FORBIDDEN,
                      "404": problem("No such case, or not visible to the caller."), "503": UNAVAILABLE}}},
    "/api/v1/public/cases/{case_no}": {"get": {
        "summary": "Follow a case with its number and query code (办件查询); no personal data.", "tags": ["cases"],
        "parameters": [CASE_NO, {"name": "query_code", "in": "query", "required": True,
                                 "schema": {"type": "string", "minLength": 1, "maxLength": 16}}],
        "responses": {"200": json_response("Status and current step.", "PublicCase"),
                      "400": problem("The query code is missing."),
                      "404": problem("No case with this number and query code."), "503": UNAVAILABLE}}},
}


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
