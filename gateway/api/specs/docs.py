"""OpenAPI fragments of ``gateway.api.docs``: paths, schemas, request examples."""

from gateway.spec import path_param, problem

PATHS = {
    "/docs": {
        "get": {
            "summary": "This API's reference page (Swagger UI, local assets).",
            "tags": ["ops"],
            "responses": {
                "200": {"description": "The HTML page.", "content": {"text/html": {"schema": {"type": "string"}}}}
            },
        }
    },
    "/docs/assets/{name}": {
        "get": {
            "summary": "A script or style sheet of the reference page.",
            "tags": ["ops"],
            "parameters": [path_param("name", "File name.", r"^[a-z.-]+\.(js|css)$", 64)],
            "responses": {
                "200": {
                    "description": "The file.",
                    "content": {
                        "text/javascript": {"schema": {"type": "string"}},
                        "text/css": {"schema": {"type": "string"}},
                    },
                },
                "404": problem("No such asset."),
            },
        }
    },
}
