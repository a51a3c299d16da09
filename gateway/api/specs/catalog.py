"""OpenAPI fragments of ``gateway.api.catalog``: paths, schemas, request examples."""

from gateway.spec import (
    FORBIDDEN,
    INVALID,
    STAFF,
    UNAUTHORIZED,
    UNAVAILABLE,
    json_response,
    list_response,
    path_param,
    problem,
    request_body,
)

ITEM_CODE = path_param("item_code", "Item code, e.g. MR-001.", max_length=32)

_TEXT = {"type": "string", "maxLength": 1000}
_CODE = {"type": "string", "maxLength": 64}
_DAYS = {"type": "integer", "minimum": 0, "maximum": 3650}
_FORM_FIELD = {
    "type": "object",
    "properties": {
        "id": _CODE,
        "label": {"type": "string", "maxLength": 200},
        "type": {"type": "string", "maxLength": 16},
        "required": {"type": "boolean"},
        "options": {"type": "array", "maxItems": 100, "items": {"type": "string", "maxLength": 200}},
        "max_length": {"type": ["integer", "null"], "minimum": 0, "maximum": 100_000},
    },
}
_FIELDS = {
    "code": {"type": "string", "maxLength": 32, "description": "2-4 capitals, a dash, 3 digits: `CT-001`."},
    "name_zh": {"type": "string", "maxLength": 200},
    "name_en": {"type": "string", "maxLength": 200},
    "kind": {"enum": ["immediate", "promised", "joint"]},
    "legal_limit_days": _DAYS,
    "promised_limit_days": _DAYS,
    "visits": {"type": "integer", "minimum": 0, "maximum": 10},
    "process_key": {"type": "string", "maxLength": 128, "description": "The deployed process that handles it."},
    "process_version": {
        "type": ["integer", "null"],
        "minimum": 1,
        "maximum": 1_000_000,
        "description": "The version policy: null runs the latest deployed version of the process, "
        "a number pins that (deployed) version.",
    },
    "legal_basis": _TEXT,
    "materials": {
        "type": "array",
        "maxItems": 100,
        "items": {
            "type": "object",
            "properties": {
                "code": _CODE,
                "name": {"type": "string", "maxLength": 200},
                "form": {"enum": ["paper", "electronic"]},
                "required": {"type": "boolean"},
            },
        },
    },
    "conditions": {"type": "array", "maxItems": 50, "items": _TEXT},
    "fees": {
        "type": "array",
        "maxItems": 20,
        "items": {
            "type": "object",
            "properties": {
                "code": _CODE,
                "name": {"type": "string", "maxLength": 200},
                "amount_fen": {"type": "integer", "minimum": 1, "maximum": 10**12},
                "basis": _TEXT,
            },
        },
    },
    "on_the_spot": {"type": "boolean"},
    "form": {
        "type": ["array", "null"],
        "maxItems": 50,
        "items": _FORM_FIELD,
        "description": "The application form's fields (as in `Item.form`); null: no form of its own.",
    },
    "special_procedures": {"type": "array", "maxItems": 2, "items": {"enum": ["expert_review", "hearing"]}},
}
_DAY = {
    "type": "string",
    "maxLength": 10,
    "description": "A day of the hall's calendar (Asia/Shanghai), YYYY-MM-DD, today or later.",
}

SCHEMAS = {
    "CatalogItemNew": {
        "type": "object",
        "additionalProperties": False,
        "description": "A new item of a department.",
        "required": [
            "department",
            "code",
            "name_zh",
            "name_en",
            "kind",
            "legal_limit_days",
            "promised_limit_days",
            "visits",
            "process_key",
            "legal_basis",
            "materials",
        ],
        "properties": {"department": {"type": "string", "maxLength": 48}, **_FIELDS},
    },
    "CatalogItemChanges": {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "description": "Fields to change, each replaced whole; null removes an optional field. Process "
        "designers may send only `process_key` and `process_version`.",
        "properties": _FIELDS,
    },
    "CatalogPublication": {
        "type": "object",
        "additionalProperties": False,
        "required": ["effective_from"],
        "properties": {
            "effective_from": _DAY,
            "version": {
                "type": "integer",
                "minimum": 1,
                "maximum": 1_000_000,
                "description": "Default: the latest version.",
            },
        },
    },
    "CatalogRetirement": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "effective_from": dict(_DAY, description="From this day on no new applications (default today)."),
            "reason": {"type": "string", "maxLength": 500},
        },
    },
    "ManagedItem": {
        "type": "object",
        "description": "An item and where it stands.",
        "properties": {
            "code": {"type": "string"},
            "department": {"type": "string"},
            "name_zh": {"type": "string"},
            "name_en": {"type": "string"},
            "status": {
                "enum": ["draft", "scheduled", "in_force", "retired"],
                "description": "draft: never published; scheduled: published for a later day only; in_force: serves "
                "applications today; retired: accepts no new applications.",
            },
            "latest_version": {"type": "integer"},
            "version_in_force": {"type": ["integer", "null"]},
            "publications": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "version": {"type": "integer"},
                        "effective_from": {"type": ["string", "null"]},
                        "published_at": {"type": "string"},
                        "by": {"type": "string"},
                    },
                },
            },
            "retired_from": {"type": ["string", "null"]},
            "updated_at": {"type": "string"},
            "item": {"$ref": "#/components/schemas/Item", "description": "The latest version."},
            "created": {"type": "boolean", "description": "After an edit: whether it made a new version."},
        },
    },
    "ItemVersion": {
        "type": "object",
        "properties": {
            "version": {"type": "integer"},
            "created_at": {"type": "string"},
            "created_by": {"type": "string"},
            "changed": {"type": "array", "items": {"type": "string"}},
            "published_for": {"type": "array", "items": {"type": ["string", "null"]}},
            "item": {"$ref": "#/components/schemas/Item"},
        },
    },
    "CatalogChange": {
        "type": "object",
        "description": "Who did what to an item, when, and what changed.",
        "properties": {
            "at": {"type": "string"},
            "actor": {"type": "string"},
            "action": {"enum": ["seeded", "created", "edited", "published", "retired"]},
            "version": {"type": ["integer", "null"]},
            "changes": {"type": "object", "description": "field -> {from, to}"},
        },
    },
}

EXAMPLES = {  # request bodies in the OpenAPI document
    "CatalogItemNew": {
        "department": "market_regulation",
        "code": "MR-020",
        "name_zh": "营业性演出许可",
        "name_en": "Licence for commercial performances",
        "kind": "promised",
        "legal_limit_days": 20,
        "promised_limit_days": 10,
        "visits": 1,
        "process_key": "promised_item",
        "process_version": None,
        "legal_basis": "《营业性演出管理条例》第六条",
        "materials": [{"code": "application_form", "name": "申请书", "form": "paper", "required": True}],
    },
    "CatalogItemChanges": {"promised_limit_days": 5, "process_version": 2},
    "CatalogPublication": {"effective_from": "2027-01-01"},
    "CatalogRetirement": {"effective_from": "2027-03-01", "reason": "并入 MR-002"},
}

_ONE = {"401": UNAUTHORIZED, "403": FORBIDDEN, "404": problem("No such item."), "503": UNAVAILABLE}
_CHANGE = {
    "400": problem("Not JSON."),
    "415": problem("Not JSON."),
    "422": INVALID,
    "409": problem("The item changed at the same moment, or its state does not allow this."),
}

PATHS = {
    "/api/v1/catalog/items": {
        "get": {
            "summary": "Every item with where it stands (admins, process designers).",
            "tags": ["catalog"],
            "security": STAFF,
            "responses": {
                "200": list_response("Items.", "items", "ManagedItem"),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "503": UNAVAILABLE,
            },
        },
        "post": {
            "summary": "Create an item (admins): version 1, a draft until published.",
            "tags": ["catalog"],
            "security": STAFF,
            "requestBody": request_body("CatalogItemNew", "The item."),
            "responses": {
                "201": json_response("Created.", "ManagedItem"),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "503": UNAVAILABLE,
                **_CHANGE,
            },
        },
    },
    "/api/v1/catalog/items/{item_code}": {
        "get": {
            "summary": "An item with where it stands and its latest version.",
            "tags": ["catalog"],
            "security": STAFF,
            "parameters": [ITEM_CODE],
            "responses": {"200": json_response("The item.", "ManagedItem"), **_ONE},
        },
        "patch": {
            "summary": "Edit an item: a new version (admins; process designers the process binding "
            "only). It serves applications once published.",
            "tags": ["catalog"],
            "security": STAFF,
            "parameters": [ITEM_CODE],
            "requestBody": request_body("CatalogItemChanges", "The fields to change."),
            "responses": {
                "200": json_response("The item; `created` says whether a version was made.", "ManagedItem"),
                **_ONE,
                **_CHANGE,
            },
        },
    },
    "/api/v1/catalog/items/{item_code}/publication": {
        "post": {
            "summary": "Publish a version (admins): it serves new applications from the day given on.",
            "tags": ["catalog"],
            "security": STAFF,
            "parameters": [ITEM_CODE],
            "requestBody": request_body("CatalogPublication", "Which version, from which day."),
            "responses": {"200": json_response("The item.", "ManagedItem"), **_ONE, **_CHANGE},
        }
    },
    "/api/v1/catalog/items/{item_code}/retirement": {
        "post": {
            "summary": "Retire an item (admins): no new applications from the day given on; its cases go on.",
            "tags": ["catalog"],
            "security": STAFF,
            "parameters": [ITEM_CODE],
            "requestBody": request_body("CatalogRetirement", "From which day, and why."),
            "responses": {"200": json_response("The item.", "ManagedItem"), **_ONE, **_CHANGE},
        }
    },
    "/api/v1/catalog/items/{item_code}/versions": {
        "get": {
            "summary": "Every version of an item, oldest first, with who made it and what it changed.",
            "tags": ["catalog"],
            "security": STAFF,
            "parameters": [ITEM_CODE],
            "responses": {
                "200": list_response("Versions.", "versions", "ItemVersion"),
                **_ONE,
            },
        }
    },
    "/api/v1/catalog/items/{item_code}/audit": {
        "get": {
            "summary": "The audit trail of an item: who changed what, when.",
            "tags": ["catalog"],
            "security": STAFF,
            "parameters": [ITEM_CODE],
            "responses": {
                "200": list_response("Changes, oldest first.", "changes", "CatalogChange"),
                **_ONE,
            },
        }
    },
}
