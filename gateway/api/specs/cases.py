"""OpenAPI fragments of ``gateway.api.cases``: paths, schemas, request examples."""

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

STATUSES = ["submitted", "awaiting_supplements", "accepted", "refused", "completed", "collected"]


MATERIAL_CODE = {"type": "string", "minLength": 1, "maxLength": 64}
TEXT = {"type": ["string", "null"]}

SCHEMAS = {
    "Applicant": {
        "type": "object",
        "additionalProperties": False,
        "required": ["kind", "name"],
        "description": "A person (resident ID, GB 11643) or a company (unified social credit code, GB 32100).",
        "properties": {
            "kind": {"enum": ["person", "company"]},
            "name": {"type": "string", "minLength": 1, "maxLength": 100},
            "id_number": {"type": "string", "maxLength": 18},
            "credit_code": {"type": "string", "maxLength": 18},
        },
    },
    "MaterialGiven": {
        "description": "A material of the item's checklist: its code (handed in at the window), or its code "
        "and a shared document stored before (资料共享, `POST /api/v1/materials`).",
        "oneOf": [
            MATERIAL_CODE,
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["code", "document_id"],
                "properties": {
                    "code": MATERIAL_CODE,
                    "document_id": {"type": "string", "minLength": 1, "maxLength": 64},
                },
            },
        ],
    },
    "Application": {
        "type": "object",
        "additionalProperties": False,
        "required": ["item_code", "applicant"],
        "properties": {
            "item_code": {"type": "string", "minLength": 1, "maxLength": 32},
            "applicant": {"$ref": "#/components/schemas/Applicant"},
            "materials": {"type": "array", "maxItems": 50, "items": {"$ref": "#/components/schemas/MaterialGiven"}},
            "form": {
                "type": "object",
                "maxProperties": 50,
                "propertyNames": {"minLength": 1, "maxLength": 64},
                "description": "Answers of the application form: "
                "names of 1 to 64 characters, values string (at most 2000), number (of at most "
                "15 digits before the point), boolean or null.",
                "additionalProperties": {
                    "type": ["string", "number", "boolean", "null"],
                    "maxLength": 2000,
                    "minimum": -(10**15 - 1),
                    "maximum": 10**15 - 1,
                },
            },
        },
    },
    "Supplements": {
        "type": "object",
        "additionalProperties": False,
        "required": ["query_code", "materials"],
        "properties": {
            "query_code": {"type": "string", "minLength": 1, "maxLength": 16},
            "materials": {
                "type": "array",
                "minItems": 1,
                "maxItems": 50,
                "items": {"$ref": "#/components/schemas/MaterialGiven"},
            },
        },
    },
    "Collection": {
        "type": "object",
        "additionalProperties": False,
        "required": ["how"],
        "properties": {
            "how": {"enum": ["in_person", "post"]},
            "note": {
                "type": "string",
                "maxLength": 200,
                "description": "E.g. the courier's tracking number, or who collected it.",
            },
        },
    },
    "CaseReceipt": {
        "type": "object",
        "required": ["case_no", "query_code", "status"],
        "properties": {
            "case_no": {
                "type": "string",
                "description": "YYYYMMDD (Asia/Shanghai) + 6-digit sequence of the day: unique, sorts by date.",
            },
            "query_code": {"type": "string"},
            "status": {"type": "string"},
            "item_code": {"type": "string"},
            "submitted_at": {"type": "string", "format": "date-time"},
            "next": {"type": "string", "description": "What happens next."},
        },
    },
    "CaseStep": {
        "type": "object",
        "description": "A moment of the case's timeline; staff also see who and every detail.",
        "properties": {
            "kind": {"type": "string"},
            "label": {"type": "string"},
            "at": {"type": "string", "format": "date-time"},
            "step": {
                "type": "string",
                "description": "kind task_done: the approval's task done "
                "(read from the approval when the case is shown).",
            },
        },
    },
    "PublicCase": {
        "type": "object",
        "description": "What an applicant sees with the query code: no personal data.",
        "properties": {
            "case_no": {"type": "string"},
            "item_code": {"type": "string"},
            "item_name": {"type": "string"},
            "department": {"type": "string"},
            "status": {"enum": STATUSES},
            "current_step": {
                "type": ["string", "null"],
                "description": "What the case waits in, by the elements' names (never their ids).",
            },
            "outcome": {
                "type": ["string", "null"],
                "description": "The hall's decision code: `approved`, `refused`; null for a flow that ends otherwise.",
            },
            "outcome_label": {
                "type": ["string", "null"],
                "description": "How the case's process "
                "ended, in words: the end event's outcome label (property `outcome`) "
                "or its name.",
            },
            "result": {"type": ["object", "null"], "description": "approved: certificate_no; refused: reason."},
            "decided_on_the_spot": {
                "type": "boolean",
                "description": "当场办结: the department's "
                "chief representative accepted and decided it in one sitting.",
            },
            "awaiting": {
                "type": ["string", "null"],
                "description": "What the case waits for, 中文 then English; waiting for the fee: the amount "
                "in yuan and the payment notice.",
            },
            "missing_materials": {
                "type": "array",
                "items": {"type": "string"},
                "description": "The codes of the materials asked for (补正).",
            },
            "missing_material_names": {
                "type": "array",
                "description": "The same, by their names on the item's checklist.",
                "items": {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}}},
            },
            "payment_due": {
                "type": ["object", "null"],
                "description": "The unpaid payment notice: notice_no, total_fen, amount (¥120.00), due_on.",
                "properties": {
                    "notice_no": {"type": "string"},
                    "total_fen": {"type": "integer"},
                    "amount": {"type": "string"},
                    "due_on": {"type": "string"},
                },
            },
            "evaluable": {
                "type": "boolean",
                "description": "The case has its outcome (decided, "
                "collected, or refused at intake): it may be evaluated (好差评).",
            },
            "accepted_at": TEXT,
            "deadline": {"type": ["string", "null"], "description": "When the promised limit runs out (exclusive)."},
            "submitted_at": {"type": "string"},
            "updated_at": {"type": "string"},
            "steps": {"type": "array", "items": {"$ref": "#/components/schemas/CaseStep"}},
        },
    },
    "Case": {
        "type": "object",
        "description": "The staff view of a case: the public view plus the applicant, "
        "materials, shared documents, form and the full timeline.",
        "allOf": [{"$ref": "#/components/schemas/PublicCase"}],
        "properties": {
            "applicant": {"type": "object"},
            "materials": {"type": "array", "items": {"type": "string"}},
            "documents": {"type": "array", "items": {"type": "object"}},
            "form": {"type": "object"},
        },
    },
    "CaseSummary": {
        "type": "object",
        "properties": {
            "case_no": {"type": "string"},
            "item_code": {"type": "string"},
            "item_name": {"type": "string"},
            "department": {"type": "string"},
            "applicant_name": {"type": "string"},
            "applicant_id": {"type": "string"},
            "status": {"enum": STATUSES},
            "submitted_at": {"type": "string"},
            "deadline": TEXT,
        },
    },
    "CasePage": {
        "type": "object",
        "required": ["cases", "total", "page", "page_size"],
        "properties": {
            "cases": {"type": "array", "items": {"$ref": "#/components/schemas/CaseSummary"}},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "page_size": {"type": "integer"},
        },
    },
}

BAD_CASE_NO = problem("The case number is not 14 digits, or a query parameter is wrong.")
DATE = {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "maxLength": 10}

EXAMPLES = {  # request bodies in the OpenAPI document
    "Application": {
        "item_code": "MR-001",
        "applicant": {"kind": "person", "name": "张三", "id_number": "11010519491231002X"},
        "materials": ["application_form", {"code": "id_card", "document_id": "6f1c2a9e"}],
        "form": {"shop_name": "榆林市张三便利店"},
    },
    "Collection": {"how": "post", "note": "EMS 1234567890123"},
    "Supplements": {"query_code": "K7Q2M9PA", "materials": ["business_premises_proof"]},
}

PATHS = {
    "/api/v1/cases": {
        "post": {
            "summary": "Apply for an item (统一受理). A repeated `Idempotency-Key` with the same application "
            "returns the first receipt.",
            "tags": ["cases"],
            "requestBody": request_body("Application", "The application."),
            "responses": {
                "201": json_response(
                    "The case was registered (or, for a repeated Idempotency-Key, the first receipt).", "CaseReceipt"
                ),
                "400": problem("Not JSON, or a bad header."),
                "404": problem("No such item in the public catalog."),
                "415": problem("Not JSON."),
                "422": problem(
                    "The request breaks a rule; `errors` lists each field. A retired item, "
                    "or one published for a later day only, is refused on `item_code`."
                ),
                "503": UNAVAILABLE,
            },
        },
        "get": {
            "summary": "Search cases (staff; department staff see their department's cases), newest first.",
            "tags": ["cases"],
            "security": STAFF,
            "parameters": [
                {
                    "name": "applicant_id",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "minLength": 18, "maxLength": 18},
                    "description": "Resident ID or unified social credit code.",
                },
                {"name": "item_code", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 32}},
                {"name": "status", "in": "query", "required": False, "schema": {"enum": STATUSES}},
                {
                    "name": "submitted_from",
                    "in": "query",
                    "required": False,
                    "schema": DATE,
                    "description": "First day (Asia/Shanghai), YYYY-MM-DD.",
                },
                {
                    "name": "submitted_to",
                    "in": "query",
                    "required": False,
                    "schema": DATE,
                    "description": "Last day (Asia/Shanghai), included.",
                },
                {
                    "name": "page",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 10000},
                },
                {
                    "name": "page_size",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                },
            ],
            "responses": {
                "200": json_response("A page of cases.", "CasePage"),
                "400": problem("A query parameter is unknown, repeated or malformed."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "422": INVALID,
                "503": UNAVAILABLE,
            },
        },
    },
    "/api/v1/cases/{case_no}": {
        "get": {
            "summary": "A case with its full timeline, for staff of its department and of the hall.",
            "tags": ["cases"],
            "security": STAFF,
            "parameters": [CASE_NO],
            "responses": {
                "200": json_response("The case.", "Case"),
                "400": BAD_CASE_NO,
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": problem("No such case, or not visible to the caller."),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/cases/{case_no}/collection": {
        "post": {
            "summary": "Record that the applicant received the result (出件), in person or by post.",
            "tags": ["cases"],
            "security": STAFF,
            "parameters": [CASE_NO],
            "requestBody": request_body("Collection", "How it was handed over."),
            "responses": {
                "200": json_response("The case, collected.", "Case"),
                "400": BAD_CASE_NO,
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": problem("No such case, or not visible."),
                "409": problem("Not decided yet, or already collected."),
                "415": problem("Not JSON."),
                "422": INVALID,
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/public/cases/{case_no}": {
        "get": {
            "summary": "Follow a case with its number and query code (办件查询): status, steps, what is awaited, "
            "the deadline; no personal data.",
            "tags": ["cases"],
            "parameters": [
                CASE_NO,
                {
                    "name": "query_code",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 16},
                },
            ],
            "responses": {
                "200": json_response("Status and steps.", "PublicCase"),
                "400": problem("The query code is missing, or the case number is not 14 digits."),
                "404": problem("No case with this number and query code."),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/public/cases/{case_no}/supplements": {
        "post": {
            "summary": "The applicant supplies the materials asked for (补正), with the query code. When all are "
            "there the case returns to the intake window.",
            "tags": ["cases"],
            "parameters": [CASE_NO],
            "requestBody": request_body("Supplements", "The materials supplied."),
            "responses": {
                "200": json_response("The case as the applicant sees it.", "PublicCase"),
                "400": problem("Not JSON, or the case number is not 14 digits."),
                "404": problem("No case with this number and query code."),
                "409": problem("The case is not waiting for supplements."),
                "415": problem("Not JSON."),
                "422": INVALID,
                "503": UNAVAILABLE,
            },
        }
    },
}
