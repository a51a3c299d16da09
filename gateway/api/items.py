"""The public catalog (权力清单). No login needed."""
from flask import Blueprint, jsonify

from gateway.api import rpc

bp = Blueprint("items", __name__, url_prefix="/api/v1/items")


@bp.get("")
def list_items():
    return jsonify(items=rpc().call("intake", "list_items"))


@bp.get("/<item_code>")
def get_item(item_code):
    return jsonify(rpc().call("intake", "get_item", item_code))
