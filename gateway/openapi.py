"""The OpenAPI 3.1 document of the gateway: every endpoint, with the schemas that
``gateway.validation`` also uses to check request bodies."""


def _problem(description):
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _json(description, schema_ref=None, schema=None):
    schema = schema or {"$ref": f"#/components/schemas/{schema_ref}"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _path_param(name, description, pattern=None, max_length=64):
    schema = {"type": "string", "maxLength": max_length}
    if pattern:
        schema["pattern"] = pattern
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}


def _body(schema_ref, description):
    return {"required": True, "description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}}


STAFF = [{"bearerAuth": []}]
UNAUTHORIZED = _problem("No valid bearer token.")
FORBIDDEN = _problem("The caller's role may not do this.")
INVALID = _problem("The request breaks a rule; `errors` lists each field.")
UNAVAILABLE = _problem("A service behind the gateway is not running or did not answer.")
CASE_NO = _path_param("case_no", "Case number (办件编号): YYYYMMDD + 6-digit daily sequence.", r"^[0-9]{14}$", 14)
TASK_ID = _path_param("task_id", "Task id from the work list.", r"^[0-9a-f-]{36}$", 36)

SCHEMAS = {
    "Problem": {
        "type": "object", "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
            "detail": {"type": "string"}, "request_id": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object", "properties": {
                "field": {"type": "string"}, "message": {"type": "string"}}}},
        },
    },
    "TokenRequest": {
        "type": "object", "additionalProperties": False, "required": ["username", "password"],
        "properties": {"username": {"type": "string", "minLength": 1, "maxLength": 64},
                       "password": {"type": "string", "minLength": 1, "maxLength": 256}},
    },
    "Token": {
        "type": "object", "required": ["access_token", "token_type", "expires_in"],
        "properties": {"access_token": {"type": "string"}, "token_type": {"const": "Bearer"},
                       "expires_in": {"type": "integer"}, "roles": {"type": "array", "items": {"type": "string"}},
                       "department": {"type": "string"}},
    },
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
    "Task": {
        "type": "object",
        "properties": {"id": {"type": "string"}, "case_no": {"type": "string"}, "element_id": {"type": "string"},
                       "name": {"type": "string"}, "role": {"type": "string"}, "department": {"type": "string"},
                       "form": {"type": "array", "items": {"type": "object"}},
                       "created_at": {"type": "string"}},
    },
    "TaskCompletion": {
        "type": "object", "additionalProperties": False, "required": ["data"],
        "properties": {"data": {"type": "object", "maxProperties": 50,
                                "description": "Values for the task's form fields."}},
    },
    "ProcessUpload": {
        "type": "object", "additionalProperties": False, "required": ["xml"],
        "properties": {"xml": {"type": "string", "minLength": 1, "maxLength": 2_000_000},
                       "filename": {"type": "string", "maxLength": 128, "pattern": r"^[\w.-]+\.bpmn$"}},
    },
    "Process": {
        "type": "object",
        "properties": {"key": {"type": "string"}, "version": {"type": "integer"}, "name": {"type": ["string", "null"]},
                       "filename": {"type": ["string", "null"]}, "content_hash": {"type": "string"},
                       "deployed_at": {"type": "string"}, "created": {"type": "boolean"}},
    },
}

PATHS = {
    "/healthz": {"get": {"summary": "Liveness: the gateway process answers.", "tags": ["ops"],
                         "responses": {"200": _json("Alive.", schema={"type": "object"})}}},
    "/readyz": {"get": {"summary": "Readiness: every service answers an RPC ping.", "tags": ["ops"],
                        "responses": {"200": _json("All services answer.", schema={"type": "object"}),
                                      "503": _problem("Some services do not answer; `detail` names them.")}}},
    "/metrics": {"get": {"summary": "Prometheus metrics of the gateway.", "tags": ["ops"],
                         "responses": {"200": {"description": "Prometheus text format.",
                                               "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
    "/openapi.json": {"get": {"summary": "This document.", "tags": ["ops"],
                              "responses": {"200": _json("OpenAPI 3.1 document.", schema={"type": "object"})}}},
    "/api/v1/auth/token": {"post": {
        "summary": "Log in: exchange username and password for a bearer token.", "tags": ["auth"],
        "requestBody": _body("TokenRequest", "Staff credentials."),
        "responses": {"200": _json("A bearer token.", "Token"), "400": _problem("Not JSON."),
                      "401": _problem("Wrong username or password."), "415": _problem("Not JSON."),
                      "422": INVALID}}},
    "/api/v1/items": {"get": {
        "summary": "The public catalog (权力清单): every published item.", "tags": ["catalog"],
        "responses": {"200": _json("Items.", schema={"type": "object", "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}}}),
            "503": UNAVAILABLE}}},
    "/api/v1/items/{item_code}": {"get": {
        "summary": "One item of the catalog.", "tags": ["catalog"],
        "parameters": [_path_param("item_code", "Item code, e.g. MR-001.", max_length=32)],
        "responses": {"200": _json("The item.", "Item"), "404": _problem("No such item."), "503": UNAVAILABLE}}},
    "/api/v1/cases": {"post": {
        "summary": "Apply for an item (统一受理). A repeated `Idempotency-Key` returns the first case.",
        "tags": ["cases"],
        "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                        "schema": {"type": "string", "minLength": 8, "maxLength": 128},
                        "description": "Makes a retried submission return the same case."}],
        "requestBody": _body("Application", "The application."),
        "responses": {"201": _json("The case was registered.", "CaseReceipt"),
                      "200": _json("The same Idempotency-Key was used before: the first case.", "CaseReceipt"),
                      "400": _problem("Not JSON, or a bad header."), "404": _problem("No such item."),
                      "415": _problem("Not JSON."), "422": INVALID, "503": UNAVAILABLE}}},
    "/api/v1/cases/{case_no}": {"get": {
        "summary": "A case, for staff of its department and of the hall.", "tags": ["cases"],
        "security": STAFF, "parameters": [CASE_NO],
        "responses": {"200": _json("The case.", "Case"), "401": UNAUTHORIZED, "403": FORBIDDEN,
                      "404": _problem("No such case, or not visible to the caller."), "503": UNAVAILABLE}}},
    "/api/v1/public/cases/{case_no}": {"get": {
        "summary": "Follow a case with its number and query code (办件查询); no personal data.", "tags": ["cases"],
        "parameters": [CASE_NO, {"name": "query_code", "in": "query", "required": True,
                                 "schema": {"type": "string", "minLength": 1, "maxLength": 16}}],
        "responses": {"200": _json("Status and current step.", "PublicCase"),
                      "400": _problem("The query code is missing."),
                      "404": _problem("No case with this number and query code."), "503": UNAVAILABLE}}},
    "/api/v1/tasks": {"get": {
        "summary": "The caller's work list: open tasks of the caller's roles and department.", "tags": ["tasks"],
        "security": STAFF,
        "responses": {"200": _json("Open tasks, oldest first.", schema={"type": "object", "properties": {
            "tasks": {"type": "array", "items": {"$ref": "#/components/schemas/Task"}}}}),
            "401": UNAUTHORIZED, "503": UNAVAILABLE}}},
    "/api/v1/tasks/{task_id}": {"get": {
        "summary": "One task of the caller's work list, with its form.", "tags": ["tasks"],
        "security": STAFF, "parameters": [TASK_ID],
        "responses": {"200": _json("The task.", "Task"), "401": UNAUTHORIZED,
                      "404": _problem("Not in the caller's work list."), "503": UNAVAILABLE}}},
    "/api/v1/tasks/{task_id}/complete": {"post": {
        "summary": "Complete a task with values for its form; the process moves on.", "tags": ["tasks"],
        "security": STAFF, "parameters": [TASK_ID], "requestBody": _body("TaskCompletion", "Form values."),
        "responses": {"200": _json("Completed.", schema={"type": "object"}), "400": _problem("Not JSON."),
                      "401": UNAUTHORIZED, "404": _problem("Not in the caller's work list."),
                      "409": _problem("The task was already completed."), "415": _problem("Not JSON."),
                      "422": INVALID, "503": UNAVAILABLE}}},
    "/api/v1/processes": {
        "get": {"summary": "Deployed processes, newest version of each.", "tags": ["processes"],
                "security": STAFF,
                "responses": {"200": _json("Processes.", schema={"type": "object", "properties": {
                    "processes": {"type": "array", "items": {"$ref": "#/components/schemas/Process"}}}}),
                    "401": UNAUTHORIZED, "403": FORBIDDEN, "503": UNAVAILABLE}},
        "post": {"summary": "Deploy BPMN: a new version when the content changed.", "tags": ["processes"],
                 "security": STAFF, "requestBody": _body("ProcessUpload", "BPMN 2.0 XML."),
                 "responses": {"201": _json("A new version was deployed.", "Process"),
                               "200": _json("The same content was already deployed.", "Process"),
                               "400": _problem("Not JSON."), "401": UNAUTHORIZED, "403": FORBIDDEN,
                               "415": _problem("Not JSON."),
                               "422": _problem("The diagram is invalid; `errors` names the element."),
                               "503": UNAVAILABLE}},
    },
}

SPEC = {
    "openapi": "3.1.0",
    "info": {
        "title": "Government service hall gateway (政务服务中心)",
        "version": "0.1.0",
        "description": "One-stop government service hall: the public catalog, applications, work lists, "
                       "BPMN processes. Errors are application/problem+json.",
    },
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
    },
}
