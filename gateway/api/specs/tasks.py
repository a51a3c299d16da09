"""OpenAPI fragments of ``gateway.api.tasks``: paths, schemas, request examples."""

from gateway.spec import (
    INVALID,
    STAFF,
    UNAUTHORIZED,
    UNAVAILABLE,
    json_response,
    path_param,
    problem,
    request_body,
)

TASK_ID = path_param("task_id", "Task id from the work list.", r"^[0-9a-f-]{36}$", 36)
DEFAULT_LIMIT = 50
INSTRUCTIONS = {
    "type": ["string", "null"],
    "description": "What the person doing the task should know, as plain "
    "text: spiff-arena's `instructionsForEndUser` or the element's documentation (Camunda "
    "Modeler), its `{{ expression }}` placeholders filled from the case data.",
}

SCHEMAS = {
    "Task": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "case_no": {"type": "string"},
            "instance_no": {
                "type": "string",
                "description": "The process instance the task is of: "
                "the case number, or a sub-instance's number "
                "(`<case_no>~<process key>~<hex>`) when a message of the case started it.",
            },
            "process_key": {"type": ["string", "null"]},
            "element_id": {"type": "string"},
            "name": {"type": "string"},
            "role": {"type": "string"},
            "department": {"type": "string"},
            "assignee": {
                "type": ["string", "null"],
                "description": "Set when the diagram names one user (`camunda:assignee`).",
            },
            "on_the_spot": {
                "type": ["string", "null"],
                "description": "`role:department` that may also claim the task, the "
                "case's item being decided on the spot (首席代表制).",
            },
            "form": {"type": "array", "items": {"$ref": "#/components/schemas/FormField"}},
            "instructions": INSTRUCTIONS,
            "created_at": {"type": "string"},
            "due_at": {"type": ["string", "null"], "description": "When the task is due (its time limit)."},
        },
    },
    "FormField": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "label": {"type": "string"},
            "type": {"enum": ["string", "long", "boolean", "enum", "date"]},
            "required": {"type": "boolean"},
            "options": {
                "type": "array",
                "items": {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}}},
            },
        },
    },
    "TaskDetail": {
        "allOf": [
            {"$ref": "#/components/schemas/Task"},
            {
                "type": "object",
                "properties": {
                    "case": {
                        "type": "object",
                        "description": "The case summary from the process data.",
                        "properties": {
                            "case_no": {"type": "string"},
                            "item_code": {"type": ["string", "null"]},
                            "item_name": {"type": ["string", "null"]},
                            "kind": {"type": ["string", "null"]},
                            "on_the_spot": {
                                "type": ["boolean", "null"],
                                "description": "The item is decided on the spot (当场办结).",
                            },
                            "department": {"type": ["string", "null"]},
                            "submitted_at": {"type": ["string", "null"]},
                            "promised_limit_days": {"type": ["integer", "null"]},
                            "legal_limit_days": {"type": ["integer", "null"]},
                            "process_key": {"type": "string"},
                            "process_version": {"type": "integer"},
                            "status": {"type": "string"},
                        },
                    },
                    "process_data": {
                        "type": "object",
                        "description": "Everything the process knows so far (earlier "
                        "steps' form values, computed fees, deadlines).",
                    },
                },
            },
        ],
    },
    "WorkList": {
        "type": "object",
        "properties": {
            "tasks": {"type": "array", "items": {"$ref": "#/components/schemas/Task"}},
            "total": {"type": "integer", "description": "Tasks matching the filters, on all pages."},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        },
    },
    "TaskCompletion": {
        "type": "object",
        "additionalProperties": False,
        "required": ["data"],
        "properties": {
            "data": {"type": "object", "maxProperties": 50, "description": "Values for the task's form fields."}
        },
    },
}


def _query(name, schema, description):
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


EXAMPLES = {"TaskCompletion": {"data": {"intake_decision": "accept"}}}  # request bodies in the OpenAPI document

PATHS = {
    "/api/v1/tasks": {
        "get": {
            "summary": "The caller's work list: open tasks of the caller's roles and department.",
            "description": "Ordered by due time (tasks with a time limit first, soonest first; then the oldest). "
            "Paginated with `limit` and `offset`; `total` counts every matching task.",
            "tags": ["tasks"],
            "security": STAFF,
            "parameters": [
                _query("process_key", {"type": "string", "maxLength": 128}, "Only tasks of this process."),
                _query(
                    "case_no", {"type": "string", "pattern": r"^\d{14}$", "maxLength": 14}, "Only tasks of this case."
                ),
                _query("element_id", {"type": "string", "maxLength": 128}, "Only this step (BPMN element id)."),
                _query(
                    "limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": DEFAULT_LIMIT}, "Page size."
                ),
                _query(
                    "offset", {"type": "integer", "minimum": 0, "maximum": 1_000_000, "default": 0}, "Tasks to skip."
                ),
            ],
            "responses": {
                "200": json_response("One page of open tasks.", "WorkList"),
                "400": problem("A bad query parameter."),
                "401": UNAUTHORIZED,
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/tasks/{task_id}": {
        "get": {
            "summary": "One task of the caller's work list, with its form and the case summary.",
            "tags": ["tasks"],
            "security": STAFF,
            "parameters": [TASK_ID],
            "responses": {
                "200": json_response("The task.", "TaskDetail"),
                "401": UNAUTHORIZED,
                "404": problem("Not in the caller's work list (also another department's task)."),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/tasks/{task_id}/complete": {
        "post": {
            "summary": "Complete a task with values for its form; the process moves on.",
            "description": "With an `Idempotency-Key` a repeated completion returns the first answer and runs "
            "nothing twice, also after a timeout or a restart of the approval service.",
            "tags": ["tasks"],
            "security": STAFF,
            "parameters": [TASK_ID],
            "requestBody": request_body("TaskCompletion", "Form values."),
            "responses": {
                "200": json_response(
                    "Completed (or the first answer to the same Idempotency-Key).", schema={"type": "object"}
                ),
                "400": problem("Not JSON, or a malformed Idempotency-Key."),
                "401": UNAUTHORIZED,
                "403": problem(
                    "Separation of duties (审批分离): the caller completed a task this one is "
                    "separated from (`separate_from`)."
                ),
                "404": problem("Not in the caller's work list."),
                "409": problem("The task was already completed (by another request)."),
                "415": problem("Not JSON."),
                "422": INVALID,
                "503": UNAVAILABLE,
            },
        }
    },
}
