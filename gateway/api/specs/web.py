"""OpenAPI fragments of ``gateway.web``: paths, schemas, request examples."""


def _html(summary):
    return {
        "get": {
            "summary": summary,
            "tags": ["pages"],
            "responses": {
                "200": {
                    "description": "The page (HTML); its data comes from this API.",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                }
            },
        }
    }


PATHS = {
    "/": _html("Applicant pages: catalog, appointments, case lookup, supplements, evaluation, complaints."),
    "/board": _html("The hall's display board: last calls per window, people waiting, spoken calls."),
    "/work": _html("Staff work list and task pages (sign in on the page)."),
    "/supervision": _html("Electronic supervision: warnings, accountability, complaints, rates (supervisors)."),
    "/designer": _html(
        "Process designer: the bpmn-js modeler, opening a diagram file, validation, deployment, "
        "versions, role mapping, test runs, migration of running cases."
    ),
    "/catalog": _html(
        "Catalog management: items, their versions, publication, retirement, process binding "
        "(admins; process designers the binding)."
    ),
    "/web/static/{filename}": {
        "get": {
            "summary": "Scripts, styles and the bpmn-js assets of the pages.",
            "tags": ["pages"],
            "parameters": [
                {
                    "name": "filename",
                    "in": "path",
                    "required": True,
                    "description": "Asset path.",
                    "schema": {"type": "string", "maxLength": 200},
                }
            ],
            "responses": {
                "200": {"description": "The file.", "content": {"*/*": {"schema": {"type": "string"}}}},
                "404": {
                    "description": "No such asset.",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                },
            },
        }
    },
}
SCHEMAS = {}
