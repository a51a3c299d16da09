"""OpenAPI fragments of ``gateway.api.processes``: paths, schemas, request examples."""

from gateway.spec import (
    CASE_NO,
    FORBIDDEN,
    STAFF,
    UNAUTHORIZED,
    UNAVAILABLE,
    json_response,
    list_response,
    path_param,
    problem,
    request_body,
)

PROCESS_KEY = path_param("key", "Process key: the BPMN process id (e.g. `immediate_item`).", r"^[A-Za-z_][\w.-]*$", 128)
MAX_VERSION = 1_000_000  # far beyond any real history; larger numbers cannot be stored (int64)
VERSION = {
    "name": "version",
    "in": "path",
    "required": True,
    "description": "Version number, from 1.",
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_VERSION},
}

SCHEMAS = {
    "ProcessUpload": {
        "type": "object",
        "additionalProperties": False,
        "required": ["xml"],
        "properties": {
            "xml": {"type": "string", "minLength": 1, "maxLength": 2_000_000},
            "filename": {"type": "string", "maxLength": 128, "pattern": r"^[\w.-]+\.bpmn$"},
            "dmn": {
                "type": "array",
                "maxItems": 10,
                "description": "DMN decision tables the diagram's business-rule tasks use (XML).",
                "items": {"type": "string", "minLength": 1, "maxLength": 1_000_000},
            },
            "forms": {
                "type": "object",
                "maxProperties": 50,
                "description": "The forms the diagram's user tasks link, by file name: spiff-arena JSON "
                "schemas (`*.json`, named by the property `formJsonSchemaFilename`) and "
                "Camunda Forms (`*.form`, linked by `camunda:formRef` (the form's id) or "
                '`camunda:formKey="camunda-forms:deployment:FILE"`). What each may hold: '
                "docs/designers.md.",
                "propertyNames": {"pattern": r"^[\w.-]+\.(json|form)$", "maxLength": 128},
                "additionalProperties": {"type": "object"},
            },
        },
    },
    "Process": {
        "type": "object",
        "properties": {
            "key": {"type": "string"},
            "version": {"type": "integer"},
            "name": {"type": ["string", "null"]},
            "filename": {"type": ["string", "null"]},
            "content_hash": {"type": "string"},
            "deployed_at": {"type": "string"},
            "created": {"type": "boolean"},
            "running_instances": {
                "type": "integer",
                "minimum": 0,
                "description": "Instances of this version not completed (in progress or in an "
                "incident); only in the list of a process's versions.",
            },
            "roles": {
                "type": "array",
                "items": {"type": "string"},
                "description": "The roles the diagram's lanes and candidate groups name; only in a deploy's answer.",
            },
            "unmapped_roles": {
                "type": "array",
                "items": {"type": "string"},
                "description": "The deploy's findings: roles that are not the hall's and not mapped "
                "for this key (PUT /api/v1/processes/{key}/roles). Its cases wait in "
                "an incident at their start until they are.",
            },
        },
    },
    "Incident": {
        "type": "object",
        "description": "Where and why the process stopped.",
        "properties": {
            "element_id": {"type": "string"},
            "message": {"type": "string"},
            "at": {"type": "string"},
            "kind": {
                "enum": ["no_one", "unmapped_roles"],
                "description": "Present when a rule of the hall holds the case rather than a failed step: "
                "nobody can do the task, or the process's roles are not mapped "
                "(docs/designers.md).",
            },
        },
    },
    "MigrationRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["from_version", "to_version"],
        "properties": {
            "from_version": {"type": "integer", "minimum": 1, "maximum": MAX_VERSION},
            "to_version": {"type": "integer", "minimum": 1, "maximum": MAX_VERSION},
            "element_map": {
                "type": "object",
                "maxProperties": 200,
                "description": "Old element id → new element id, for the elements the cases have passed "
                "through or wait in that the target version does not have by id.",
                "propertyNames": {"maxLength": 128},
                "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 128},
            },
        },
    },
    "MigrationReport": {
        "type": "object",
        "description": "Case by case: whether it moves (or moved), what it waits in, what "
        "it lacks in the target version.",
        "properties": {
            "key": {"type": "string"},
            "from_version": {"type": "integer"},
            "to_version": {"type": "integer"},
            "element_map": {"type": "object"},
            "movable": {"type": "integer"},
            "staying": {"type": "integer"},
            "migrated": {"type": "integer", "description": "Only when migrating: the cases moved."},
            "cases": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "case_no": {"type": "string"},
                        "movable": {"type": "boolean"},
                        "waiting_in": {"type": "array", "items": {"type": "string"}},
                        "unmapped": {"type": "array", "items": {"type": "string"}},
                        "reason": {"type": ["string", "null"]},
                        "migrated": {"type": "boolean", "description": "Only when migrating."},
                    },
                },
            },
        },
    },
    "RoleMappingEntry": {
        "type": "object",
        "additionalProperties": False,
        "required": ["diagram_role"],
        "properties": {
            "diagram_role": {
                "type": "string",
                "minLength": 1,
                "maxLength": 128,
                "description": "A role as the diagram names it (lane, candidate group).",
            },
            "role": {
                "type": ["string", "null"],
                "maxLength": 32,
                "description": "The hall role it stands for (null: the diagram role is one).",
            },
            "department": {
                "type": ["string", "null"],
                "maxLength": 64,
                "description": "The department whose staff do its tasks (null: the case's item's).",
            },
        },
    },
    "RoleMappingUpdate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["roles", "rev"],
        "properties": {
            "roles": {"type": "array", "maxItems": 100, "items": {"$ref": "#/components/schemas/RoleMappingEntry"}},
            "rev": {
                "type": "integer",
                "minimum": 0,
                "maximum": MAX_VERSION,
                "description": "The mapping's `rev` as read (0 for none): a change made meanwhile answers 409.",
            },
        },
    },
    "RoleMapping": {
        "type": "object",
        "description": "A process key's role mapping, for every version of the key.",
        "properties": {
            "key": {"type": "string"},
            "rev": {"type": "integer"},
            "roles": {"type": "array", "items": {"$ref": "#/components/schemas/RoleMappingEntry"}},
            "updated_at": {"type": ["string", "null"]},
            "updated_by": {"type": ["string", "null"]},
            "diagram_roles": {
                "type": "array",
                "items": {"type": "string"},
                "description": "The roles the key's versions name.",
            },
            "hall_roles": {"type": "array", "items": {"type": "string"}, "description": "The roles of the hall."},
            "unmapped_roles": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Those neither the hall's nor mapped: its cases do not start.",
            },
            "history": {
                "type": "array",
                "description": "Every change: who, when, in which request.",
                "items": {
                    "type": "object",
                    "properties": {
                        "rev": {"type": "integer"},
                        "at": {"type": "string"},
                        "by": {"type": "string"},
                        "before": {"type": "array"},
                        "after": {"type": "array"},
                        "request_id": {"type": ["string", "null"]},
                    },
                },
            },
        },
    },
    "ProcessValidation": {
        "type": "object",
        "required": ["valid"],
        "properties": {"valid": {"const": True}},
    },
    "AuditEntry": {
        "type": "object",
        "description": "One thing that happened to a process instance.",
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "kind": {
                "enum": [
                    "started",
                    "task_completed",
                    "message_received",
                    "message_delivered",
                    "incident",
                    "retried",
                    "timer_fired",
                    "deadline_moved",
                    "migrated",
                ]
            },
            "element_id": {"type": ["string", "null"]},
            "actor": {"type": ["string", "null"]},
            "data": {"type": "object"},
            "rev": {"type": ["integer", "null"]},
            "request_id": {
                "type": ["string", "null"],
                "description": "The gateway request (X-Request-ID) it happened in.",
            },
        },
    },
    "CaseProcess": {
        "type": "object",
        "description": "A case's process instance.",
        "properties": {
            "case_no": {"type": "string"},
            "process_key": {"type": "string"},
            "process_version": {"type": "integer"},
            "status": {"enum": ["in_progress", "incident", "completed"]},
            "rev": {"type": "integer"},
            "incident": {"oneOf": [{"$ref": "#/components/schemas/Incident"}, {"type": "null"}]},
            "waiting_messages": {"type": "array", "items": {"type": "string"}},
            "stored_messages": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Messages received before the process waits for them.",
            },
            "open_tasks": {"type": "array", "items": {"$ref": "#/components/schemas/Task"}},
            "started_at": {"type": "string"},
            "updated_at": {"type": "string"},
            "sub_instances": {
                "type": "array",
                "description": "Partner processes the case's messages started "
                "(docs/designers.md, messages across instances).",
                "items": {
                    "type": "object",
                    "properties": {
                        "instance_no": {"type": "string"},
                        "process_key": {"type": "string"},
                        "status": {"enum": ["in_progress", "incident", "completed"]},
                        "waiting_messages": {"type": "array", "items": {"type": "string"}},
                        "open_tasks": {"type": "array", "items": {"$ref": "#/components/schemas/Task"}},
                    },
                },
            },
            "audit": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEntry"}},
        },
    },
    "ProcessRetry": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "data": {
                "type": "object",
                "maxProperties": 50,
                "description": "Process variables fixed by the admin before the failed step runs again.",
            }
        },
    },
}

EXAMPLES = {  # request bodies in the OpenAPI document
    "ProcessUpload": {
        "xml": '<?xml version="1.0"?><bpmn:definitions …>…</bpmn:definitions>',
        "filename": "immediate_item.bpmn",
    },
    "ProcessRetry": {"data": {"fee_fen": 5000}},
    "MigrationRequest": {"from_version": 1, "to_version": 2, "element_map": {"Activity_check": "Activity_verify"}},
    "RoleMappingUpdate": {
        "roles": [
            {"diagram_role": "Clerk", "role": "clerk"},
            {"diagram_role": "Manager", "role": "chief", "department": "market_regulation"},
        ],
        "rev": 0,
    },
}

PATHS = {
    "/api/v1/processes": {
        "get": {
            "summary": "Deployed processes, newest version of each.",
            "tags": ["processes"],
            "security": STAFF,
            "responses": {
                "200": list_response("Processes.", "processes", "Process"),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "503": UNAVAILABLE,
            },
        },
        "post": {
            "summary": "Deploy BPMN: a new version when the content changed.",
            "tags": ["processes"],
            "security": STAFF,
            "requestBody": request_body("ProcessUpload", "BPMN 2.0 XML."),
            "responses": {
                "201": json_response("A new version was deployed.", "Process"),
                "200": json_response("The same content was already deployed.", "Process"),
                "400": problem("Not JSON."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "415": problem("Not JSON."),
                "422": problem("The diagram is invalid; `errors` names the element."),
                "503": UNAVAILABLE,
            },
        },
    },
    "/api/v1/processes/validate": {
        "post": {
            "summary": "Run the deployment's validation of a diagram without deploying it: nothing is stored.",
            "tags": ["processes"],
            "security": STAFF,
            "requestBody": request_body("ProcessUpload", "BPMN 2.0 XML."),
            "responses": {
                "200": json_response("The diagram would deploy.", "ProcessValidation"),
                "400": problem("Not JSON."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "415": problem("Not JSON."),
                "422": problem("The diagram is invalid; `errors` names the element."),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/processes/{key}": {
        "get": {
            "summary": "Every deployed version of a process, oldest first.",
            "tags": ["processes"],
            "security": STAFF,
            "parameters": [PROCESS_KEY],
            "responses": {
                "200": json_response(
                    "Versions.",
                    schema={
                        "type": "object",
                        "properties": {
                            "key": {"type": "string"},
                            "versions": {"type": "array", "items": {"$ref": "#/components/schemas/Process"}},
                        },
                    },
                ),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": problem("No such process."),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/processes/{key}/roles": {
        "get": {
            "summary": "A process's role mapping: the roles its diagrams name, what each stands for in the "
            "hall, what is unmapped, and every change.",
            "tags": ["processes"],
            "security": STAFF,
            "parameters": [PROCESS_KEY],
            "responses": {
                "200": json_response("The role mapping.", "RoleMapping"),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": problem("No such process."),
                "503": UNAVAILABLE,
            },
        },
        "put": {
            "summary": "Replace a process's role mapping (every version of the key); its running cases "
            "follow it, and cases held for their roles start or run again.",
            "tags": ["processes"],
            "security": STAFF,
            "parameters": [PROCESS_KEY],
            "requestBody": request_body("RoleMappingUpdate", "The whole mapping, with the rev read."),
            "responses": {
                "200": json_response("The role mapping as stored.", "RoleMapping"),
                "400": problem("Not JSON."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": problem("No such process."),
                "409": problem("The mapping was changed meanwhile: read it again."),
                "415": problem("Not JSON."),
                "422": problem("An entry names no hall role or no department code; `errors` names the entry."),
                "503": UNAVAILABLE,
            },
        },
    },
    "/api/v1/processes/{key}/migrations/dry-run": {
        "post": {
            "summary": "Which running cases of one version would move to another, and why the others would not. "
            "Nothing changes.",
            "tags": ["processes"],
            "security": STAFF,
            "parameters": [PROCESS_KEY],
            "requestBody": request_body("MigrationRequest", "The versions and the designer's element map."),
            "responses": {
                "200": json_response("The dry run.", "MigrationReport"),
                "400": problem("Not JSON."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": problem("No such process or version."),
                "415": problem("Not JSON."),
                "422": problem(
                    "The same version twice, or the element map names elements that do not exist; `errors` names them."
                ),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/processes/{key}/migrations": {
        "post": {
            "summary": "Move the running cases of one version to another: each case whose elements exist in the "
            "target (by id or by the element map) moves, with an audit entry `migrated`; the others stay.",
            "tags": ["processes"],
            "security": STAFF,
            "parameters": [PROCESS_KEY],
            "requestBody": request_body("MigrationRequest", "The versions and the designer's element map."),
            "responses": {
                "200": json_response("What moved.", "MigrationReport"),
                "400": problem("Not JSON."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": problem("No such process or version."),
                "409": problem("A case kept changing meanwhile: run it again."),
                "415": problem("Not JSON."),
                "422": problem(
                    "The same version twice, or the element map names elements that do not exist; `errors` names them."
                ),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/processes/{key}/versions/{version}/xml": {
        "get": {
            "summary": "The BPMN XML of one version, as deployed.",
            "tags": ["processes"],
            "security": STAFF,
            "parameters": [PROCESS_KEY, VERSION],
            "responses": {
                "200": {"description": "BPMN 2.0 XML.", "content": {"application/xml": {"schema": {"type": "string"}}}},
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": problem("No such process or version."),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/incidents": {
        "get": {
            "summary": "The cases whose process is held in an incident, newest first (at most 100): a failed step, "
            "a task nobody can do, roles not mapped. Each is retried with POST "
            "/api/v1/cases/{case_no}/process/retry.",
            "tags": ["processes"],
            "security": STAFF,
            "responses": {
                "200": json_response(
                    "The incidents.",
                    schema={
                        "type": "object",
                        "properties": {
                            "incidents": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "case_no": {"type": "string"},
                                        "process_key": {"type": "string"},
                                        "process_version": {"type": "integer"},
                                        "department": {"type": "string"},
                                        "incident": {"$ref": "#/components/schemas/Incident"},
                                    },
                                },
                            }
                        },
                    },
                ),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/cases/{case_no}/process": {
        "get": {
            "summary": "A case's process instance: version, status, incident, open tasks and audit trail.",
            "tags": ["processes"],
            "security": STAFF,
            "parameters": [CASE_NO],
            "responses": {
                "200": json_response("The process instance.", "CaseProcess"),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": problem("No process for this case visible to the caller."),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/cases/{case_no}/process/retry": {
        "post": {
            "summary": "Run the failed step of a process in an incident again, after fixing its data (admin).",
            "tags": ["processes"],
            "security": STAFF,
            "parameters": [CASE_NO],
            "requestBody": request_body("ProcessRetry", "Fixed process variables, if any."),
            "responses": {
                "200": json_response("The process instance after the retry.", "CaseProcess"),
                "400": problem("Not JSON."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": problem("No process for this case."),
                "409": problem("The process has no incident."),
                "415": problem("Not JSON."),
                "422": problem("The body does not match the schema."),
                "503": UNAVAILABLE,
            },
        }
    },
}
