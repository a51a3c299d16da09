"""The public catalog (权力清单) and the departments that publish it: the items in force
today (managed in ``catalog.py``). No login needed."""

from flask import Blueprint, jsonify

from gateway.api import rpc
from gateway.query import query_params

bp = Blueprint("items", __name__, url_prefix="/api/v1")


@bp.get("/items")
def list_items():
    params = query_params("/api/v1/items")
    return jsonify(
        rpc().intake.list_items(
            query=params.get("q"),
            department=params.get("department"),
            kind=params.get("kind"),
            page=params.get("page", 1),
            page_size=params.get("page_size", 20),
        )
    )


@bp.get("/items/<item_code>")
def get_item(item_code):
    return jsonify(rpc().intake.get_item(item_code))


@bp.get("/departments")
def list_departments():
    return jsonify(departments=rpc().intake.list_departments())
