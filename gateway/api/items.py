"""The public catalog (权力清单). No login needed."""
from flask import Blueprint, jsonify

from gateway.api import rpc
from gateway.spec import UNAVAILABLE, json_response, path_param, problem

bp = Blueprint("items", __name__, url_prefix="/api/v1/items")

SCHEMAS = {
    "Material": {
        "type": "object",
        "properties": {"code": {"type": "string"}, "name": {"type": "string"},
                       "form": {"enum": ["paper", "electronic"]}, "required": {"type": "boolean"}},
    },
    "Item": {
        "type": "object", "description": "A published service item (事项).",
        "properties": {
            "code": {"type": "string"}, "name_zh": {"type": "string"}, "name_en": {"type": "string"},
            "department": {"type": "string"}, "kind": {"enum": ["immediate", "promised", "joint"]},
            "legal_limit_days": {"type": "integer"}, "promised_limit_days": {"type": "integer"},
            "visits": {"type": "integer"}, "process_key": {"type": "string"}, "legal_basis": {"type": "string"},
            "active": {"type": "boolean"},
            "materials": {"type": "array", "items": {"$ref": "#/components/schemas/Material"}},
        },
    },
}

PATHS = {
    "/api/v1/items": {"get": {
        "summary": "The public catalog (权力清单): every published item.", "tags": ["catalog"],
        "responses": {"200": json_response("Items.", schema={"type": "object", "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}}}),
            "503": UNAVAILABLE}}},
    "/api/v1/items/{item_code}": {"get": {
        "summary": "One item of the catalog.", "tags": ["catalog"],
        "parameters": [path_param("item_code", "Item code, e.g. MR-001.", max_length=32)],
        "responses": {"200": json_response("The item.", "Item"), "404": problem("No such item."), "503": UNAVAILABLE}}},
}


@bp.get("")
def list_items():
    return jsonify(items=rpc().call("intake", "list_items"))


@bp.get("/<item_code>")
def get_item(item_code):
    return jsonify(rpc().call("intake", "get_item", item_code))
