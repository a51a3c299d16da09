"""OpenAPI fragments of ``gateway.api.health``: paths, schemas, request examples."""

from gateway.spec import json_response, problem

PATHS = {
    "/healthz": {
        "get": {
            "summary": "Liveness: the gateway process answers.",
            "tags": ["ops"],
            "responses": {"200": json_response("Alive.", schema={"type": "object"})},
        }
    },
    "/readyz": {
        "get": {
            "summary": "Readiness: every service answers an RPC ping, the store a ping.",
            "tags": ["ops"],
            "responses": {
                "200": json_response("All services and the store answer.", schema={"type": "object"}),
                "503": problem("Services or the store do not answer; `detail` names them."),
            },
        }
    },
    "/metrics": {
        "get": {
            "summary": "Prometheus metrics of the gateway.",
            "tags": ["ops"],
            "responses": {
                "200": {
                    "description": "Prometheus text format.",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                }
            },
        }
    },
    "/openapi.json": {
        "get": {
            "summary": "This document.",
            "tags": ["ops"],
            "responses": {"200": json_response("OpenAPI 3.1 document.", schema={"type": "object"})},
        }
    },
}
