"""Managing the catalog (权力清单): admins create, edit, publish on a date and retire items;
process designers change an item's process binding. Every change is a version and an audit
entry in the intake service, which checks the item by the catalog's rules (422 per field)."""

from flask import Blueprint, g, jsonify

from gateway.api import rpc
from gateway.auth import requires_role
from gateway.idempotency import idempotency
from gateway.validation import json_body

bp = Blueprint("catalog", __name__, url_prefix="/api/v1/catalog")

MANAGERS = ("admin", "designer")


def _actor():
    return {"username": g.principal["username"], "roles": list(g.principal["roles"])}


@bp.get("/items")
@requires_role(*MANAGERS)
def list_items():
    return jsonify(items=rpc().intake.list_catalog_items())


@bp.post("/items")
@requires_role("admin")
def create_item():
    body = json_body("CatalogItemNew")
    fields = dict(body)
    department = fields.pop("department")
    response = jsonify(rpc().intake.create_item(department, fields, _actor(), idempotency=idempotency(body)))
    response.status_code = 201
    return response


@bp.get("/items/<item_code>")
@requires_role(*MANAGERS)
def get_item(item_code):
    return jsonify(rpc().intake.get_catalog_item(item_code))


@bp.patch("/items/<item_code>")
@requires_role(*MANAGERS)
def edit_item(item_code):
    body = json_body("CatalogItemChanges")
    return jsonify(rpc().intake.edit_item(item_code, body, _actor(), idempotency=idempotency(body)))


@bp.post("/items/<item_code>/publication")
@requires_role("admin")
def publish_item(item_code):
    body = json_body("CatalogPublication")
    return jsonify(
        rpc().intake.publish_item(
            item_code, body["effective_from"], _actor(), version=body.get("version"), idempotency=idempotency(body)
        )
    )


@bp.post("/items/<item_code>/retirement")
@requires_role("admin")
def retire_item(item_code):
    body = json_body("CatalogRetirement")
    return jsonify(
        rpc().intake.retire_item(
            item_code,
            _actor(),
            effective_from=body.get("effective_from"),
            reason=body.get("reason"),
            idempotency=idempotency(body),
        )
    )


@bp.get("/items/<item_code>/versions")
@requires_role(*MANAGERS)
def list_versions(item_code):
    return jsonify(versions=rpc().intake.list_item_versions(item_code))


@bp.get("/items/<item_code>/audit")
@requires_role(*MANAGERS)
def audit(item_code):
    return jsonify(changes=rpc().intake.item_audit(item_code))
