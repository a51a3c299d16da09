"""The OpenAPI 3.1 document of the gateway, assembled from what each blueprint module
declares (``PATHS``, ``SCHEMAS``). ``gateway.validation`` checks request bodies against
the same schemas, so the document and the checks cannot disagree."""
from gateway.api import DOMAINS
from gateway.spec import PROBLEM_SCHEMA


def build_spec(domains=DOMAINS):
    paths, schemas = {}, {"Problem": PROBLEM_SCHEMA}
    for module in domains:
        for path, operations in getattr(module, "PATHS", {}).items():
            paths.setdefault(path, {}).update(operations)
        schemas.update(getattr(module, "SCHEMAS", {}))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Government service hall gateway (政务服务中心)",
            "version": "0.1.0",
            "description": "One-stop government service hall: the public catalog, applications, work lists, "
                           "BPMN processes. Errors are application/problem+json (RFC 9457).",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                               "description": "Staff: POST /api/v1/auth/token."},
                "apiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                               "description": "A department system's key (admins issue it at "
                                              "/api/v1/admin/api-keys): its department and permissions."},
            },
        },
    }

