"""OpenAPI fragments of ``gateway.api.test_runs``: paths, schemas, request examples."""

from gateway.api.specs.messages import NAME_PATTERN
from gateway.api.specs.processes import MAX_VERSION
from gateway.api.specs.processes import SCHEMAS as PROCESS_SCHEMAS
from gateway.api.specs.tasks import INSTRUCTIONS
from gateway.spec import (
    FORBIDDEN,
    INVALID,
    STAFF,
    UNAUTHORIZED,
    UNAVAILABLE,
    json_response,
    path_param,
    problem,
    request_body,
)

RUN_PATTERN = r"^T-[0-9a-f]{12}$"
TASK_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
ELEMENT_PATTERN = r"^[A-Za-z_][\w.-]{0,127}$"
RUN_ID = path_param("run_id", "Test run id: `T-` and 12 hex digits.", RUN_PATTERN, 14)
TASK_ID = path_param("task_id", "An open task of the test run (its `open_tasks[].id`).", TASK_PATTERN, 36)
ELEMENT_ID = path_param("element_id", "The timer event's element id, as in `waiting_timers`.", ELEMENT_PATTERN, 128)
MESSAGE_NAME = path_param("name", "The message's name, as the diagram's message event names it.", NAME_PATTERN, 128)
DATA = {"type": "object", "maxProperties": 50}
UPLOAD = PROCESS_SCHEMAS["ProcessUpload"]["properties"]

SCHEMAS = {
    "TestRunStart": {
        "type": "object",
        "additionalProperties": False,
        "description": "Either `process_key` (with `version`, else the latest) for a deployed process, or `xml` "
        "(with `filename`, `dmn`, `forms` as for a deployment) for a diagram not deployed, which "
        "is checked as a deployment would check it.",
        "oneOf": [
            {"required": ["process_key"], "not": {"required": ["xml"]}},
            {"required": ["xml"], "not": {"required": ["process_key"]}},
        ],
        "properties": {
            "process_key": {"type": "string", "pattern": r"^[A-Za-z_][\w.-]*$", "maxLength": 128},
            "version": {"type": "integer", "minimum": 1, "maximum": MAX_VERSION},
            **UPLOAD,
            "data": dict(DATA, description="The process data the run starts with (the run's id is its `case_no`)."),
        },
    },
    "TestRunInput": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"data": dict(DATA, description="Form values, or the message's data.")},
    },
    "TestRunTask": {
        "type": "object",
        "description": "An open user task of a test run; anyone testing may complete it.",
        "properties": {
            "id": {"type": "string"},
            "element_id": {"type": "string"},
            "name": {"type": "string"},
            "role": {"type": "string"},
            "department": {"type": ["string", "null"]},
            "candidate_groups": {"type": "array", "items": {"type": "string"}},
            "assignee": {"type": ["string", "null"]},
            "candidate_users": {"type": "array", "items": {"type": "string"}},
            "due": {"type": ["string", "null"], "description": "The task's due date (ISO), if it has one."},
            "instructions": INSTRUCTIONS,
            "form": {"type": "array", "items": {"$ref": "#/components/schemas/FormField"}},
            "process_key": {
                "type": "string",
                "description": "The process of the run's instance the "
                "task is in (a collaboration's partner "
                "started by a message, or the run's own).",
            },
        },
    },
    "TestRun": {
        "type": "object",
        "description": "A designer's test instance of a process.",
        "properties": {
            "run_id": {"type": "string"},
            "process_key": {"type": "string"},
            "process_version": {"type": ["integer", "null"], "description": "null: an uploaded diagram."},
            "name": {"type": ["string", "null"]},
            "status": {"enum": ["in_progress", "incident", "completed"]},
            "rev": {"type": "integer"},
            "incident": {
                "type": ["object", "null"],
                "properties": {"element_id": {"type": "string"}, "message": {"type": "string"}},
            },
            "outcome": {
                "type": ["object", "null"],
                "description": "The end event reached.",
                "properties": {"element_id": {"type": "string"}, "name": {"type": "string"}},
            },
            "open_tasks": {"type": "array", "items": {"$ref": "#/components/schemas/TestRunTask"}},
            "waiting_messages": {"type": "array", "items": {"type": "string"}},
            "waiting_timers": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "element_id": {"type": "string"},
                        "name": {"type": "string"},
                        "due_at": {"type": ["string", "null"]},
                    },
                },
            },
            "instances": {
                "type": "array",
                "description": "The run's instances: its own process's first, then "
                "those its messages started (a collaboration's partners).",
                "items": {
                    "type": "object",
                    "properties": {
                        "process_key": {"type": "string"},
                        "completed": {"type": "boolean"},
                        "end_event": {"type": ["string", "null"]},
                    },
                },
            },
            "path": {
                "type": "object",
                "description": "Element ids for the diagram's overlays.",
                "properties": {
                    name: {"type": "array", "items": {"type": "string"}} for name in ("done", "waiting", "incident")
                },
            },
            "data": {"type": "object", "description": "The process data now."},
            "steps": {
                "type": "array",
                "description": "What happened, in order.",
                "items": {
                    "type": "object",
                    "properties": {
                        "at": {"type": "string"},
                        "element_id": {"type": ["string", "null"]},
                        "kind": {
                            "enum": ["started", "task_completed", "timer_fired", "message_delivered", "message_started"]
                        },
                        "actor": {"type": "string"},
                        "data": {"type": "object"},
                    },
                },
            },
            "started_by": {"type": "string"},
            "started_at": {"type": "string"},
            "updated_at": {"type": "string"},
            "expires_at": {"type": "string", "description": "When the run is removed."},
        },
    },
}

EXAMPLES = {
    "TestRunStart": {"process_key": "immediate_item", "data": {"department": "market_regulation"}},
    "TestRunInput": {"data": {"intake_decision": "accept"}},
}

_RUN = json_response("The test run now.", "TestRun")
_ACTION_ERRORS = {
    "400": problem("Not JSON, or a bad id in the path."),
    "401": UNAUTHORIZED,
    "403": FORBIDDEN,
    "415": problem("Not JSON."),
    "503": UNAVAILABLE,
}
PATHS = {
    "/api/v1/processes/test-runs": {
        "post": {
            "summary": "Start a test run of a deployed version or of a diagram not deployed, with initial data.",
            "tags": ["processes"],
            "security": STAFF,
            "requestBody": request_body("TestRunStart", "What to run."),
            "responses": {
                "201": json_response("Started; it runs to its first wait.", "TestRun"),
                **_ACTION_ERRORS,
                "404": problem("No such process or version."),
                "422": problem("The body breaks its schema, or the diagram is invalid (`errors` names the element)."),
            },
        }
    },
    "/api/v1/processes/test-runs/{run_id}": {
        "get": {
            "summary": "A test run: open tasks, waits, path, data and steps.",
            "tags": ["processes"],
            "security": STAFF,
            "parameters": [RUN_ID],
            "responses": {
                "200": _RUN,
                "400": problem("A bad run id."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": problem("No such test run (or it was removed)."),
                "503": UNAVAILABLE,
            },
        },
        "delete": {
            "summary": "Remove a test run now.",
            "tags": ["processes"],
            "security": STAFF,
            "parameters": [RUN_ID],
            "responses": {
                "204": {"description": "Removed."},
                "400": problem("A bad run id."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": problem("No such test run."),
                "503": UNAVAILABLE,
            },
        },
    },
    "/api/v1/processes/test-runs/{run_id}/tasks/{task_id}/complete": {
        "post": {
            "summary": "Complete an open task of a test run, whatever role it is for.",
            "tags": ["processes"],
            "security": STAFF,
            "parameters": [RUN_ID, TASK_ID],
            "requestBody": request_body("TestRunInput", "Values for the task's form."),
            "responses": {
                "200": _RUN,
                **_ACTION_ERRORS,
                "404": problem("No such test run, or no such open task."),
                "409": problem("The run has ended."),
                "422": INVALID,
            },
        }
    },
    "/api/v1/processes/test-runs/{run_id}/timers/{element_id}/fire": {
        "post": {
            "summary": "Fire a timer the test run waits at, now.",
            "tags": ["processes"],
            "security": STAFF,
            "parameters": [RUN_ID, ELEMENT_ID],
            "responses": {
                "200": _RUN,
                "400": problem("A bad id in the path."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": problem("No such test run."),
                "409": problem(
                    "The run does not wait at that timer (the answer lists where it waits), or it has ended."
                ),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/processes/test-runs/{run_id}/messages/{name}": {
        "post": {
            "summary": "Deliver a message the test run waits for.",
            "tags": ["processes"],
            "security": STAFF,
            "parameters": [RUN_ID, MESSAGE_NAME],
            "requestBody": request_body("TestRunInput", "The message's data."),
            "responses": {
                "200": _RUN,
                **_ACTION_ERRORS,
                "404": problem("No such test run."),
                "409": problem(
                    "The run does not wait for that message (the answer lists what it waits "
                    "for), or it has ended; a test run keeps no message for later."
                ),
                "422": INVALID,
            },
        }
    },
}
