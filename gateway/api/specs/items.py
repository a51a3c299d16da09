"""OpenAPI fragments of ``gateway.api.items``: paths, schemas, request examples."""

from gateway.spec import UNAVAILABLE, json_response, list_response, path_param, problem

SCHEMAS = {
    "Material": {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "form": {"enum": ["paper", "electronic"]},
            "required": {"type": "boolean"},
        },
    },
    "Fee": {
        "type": "object",
        "description": "A charge of the item, in integer fen, paid at the bank window.",
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "amount_fen": {"type": "integer", "minimum": 1},
            "basis": {"type": "string"},
        },
    },
    "Item": {
        "type": "object",
        "description": "A published service item (事项).",
        "properties": {
            "code": {"type": "string"},
            "name_zh": {"type": "string"},
            "name_en": {"type": "string"},
            "department": {"type": "string"},
            "kind": {"enum": ["immediate", "promised", "joint"]},
            "legal_limit_days": {"type": "integer"},
            "promised_limit_days": {"type": "integer"},
            "visits": {"type": "integer"},
            "process_key": {"type": "string"},
            "process_version": {
                "type": ["integer", "null"],
                "description": "The version policy: null runs the "
                "latest deployed version of the process, a number that version.",
            },
            "legal_basis": {"type": "string"},
            "version": {
                "type": "integer",
                "description": "The item's version shown (the one in force today, unless a version was asked for).",
            },
            "in_force": {"type": "boolean", "description": "This version serves new applications today."},
            "active": {"type": "boolean", "description": "The item accepts applications (not retired)."},
            "retired_from": {
                "type": ["string", "null"],
                "description": "The day (hall calendar) from which the item accepts no new applications.",
            },
            "on_the_spot": {
                "type": "boolean",
                "description": "当场办结: the department's chief representative "
                "may accept and decide it in one sitting.",
            },
            "materials": {"type": "array", "items": {"$ref": "#/components/schemas/Material"}},
            "conditions": {"type": "array", "items": {"type": "string"}},
            "special_procedures": {
                "type": "array",
                "items": {"enum": ["expert_review", "hearing"]},
                "description": "Special procedures (特别程序: 专家评审, 听证) the item may go "
                "through; their time does not count against the limit.",
            },
            "fees": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Fee"},
                "description": "Empty for a free item.",
            },
            "form": {
                "type": ["array", "null"],
                "description": "The application form's fields, checked by "
                "intake (null: the item asks for no form of its own).",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "label": {"type": "string"},
                        "type": {"enum": ["string", "long", "boolean", "enum", "date"]},
                        "required": {"type": "boolean"},
                        "options": {"type": "array", "items": {"type": "string"}},
                        "max_length": {"type": ["integer", "null"]},
                    },
                },
            },
        },
    },
    "ItemPage": {
        "type": "object",
        "required": ["items", "total", "page", "page_size"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "page_size": {"type": "integer"},
        },
    },
    "Department": {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "name_zh": {"type": "string"},
            "name_en": {"type": "string"},
            "item_count": {"type": "integer"},
        },
    },
}

PAGE = {"name": "page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 10000}}
PAGE_SIZE = {
    "name": "page_size",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": 100},
    "description": "Default 20.",
}
BAD_QUERY = problem("A query parameter is unknown, repeated or out of range; `errors` names it.")

PATHS = {
    "/api/v1/items": {
        "get": {
            "summary": "The public catalog (权力清单): search by words of the Chinese or English name, filter, page.",
            "tags": ["catalog"],
            "parameters": [
                {
                    "name": "q",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "maxLength": 100},
                    "description": "Words that must all occur in the item's code or names, e.g. 食品 or food licence.",
                },
                {"name": "department", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 48}},
                {
                    "name": "kind",
                    "in": "query",
                    "required": False,
                    "schema": {"enum": ["immediate", "promised", "joint"]},
                },
                PAGE,
                PAGE_SIZE,
            ],
            "responses": {"200": json_response("A page of items.", "ItemPage"), "400": BAD_QUERY, "503": UNAVAILABLE},
        }
    },
    "/api/v1/items/{item_code}": {
        "get": {
            "summary": "One item of the catalog.",
            "tags": ["catalog"],
            "parameters": [path_param("item_code", "Item code, e.g. MR-001.", max_length=32)],
            "responses": {
                "200": json_response("The item.", "Item"),
                "404": problem("No such item."),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/departments": {
        "get": {
            "summary": "The departments of the hall that publish items, with their item counts.",
            "tags": ["catalog"],
            "responses": {
                "200": list_response("Departments.", "departments", "Department"),
                "503": UNAVAILABLE,
            },
        }
    },
}
