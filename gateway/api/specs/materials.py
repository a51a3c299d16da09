"""OpenAPI fragments of ``gateway.api.materials``: paths, schemas, request examples."""

from gateway.spec import (
    FORBIDDEN,
    INVALID,
    STAFF,
    UNAUTHORIZED,
    UNAVAILABLE,
    json_response,
    path_param,
    problem,
)
from services.common.media import ACCEPTED_TYPES

SCHEMAS = {
    "MaterialUpload": {
        "type": "object",
        "additionalProperties": False,
        "required": ["applicant_kind", "applicant_id", "file"],
        "properties": {
            "applicant_kind": {"enum": ["person", "company"]},
            "applicant_id": {
                "type": "string",
                "minLength": 18,
                "maxLength": 18,
                "description": "The owner's resident ID or unified social credit code.",
            },
            "file": {
                "type": "string",
                "contentMediaType": "application/octet-stream",
                "description": "PDF, JPEG or PNG; at most MATERIAL_MAX_BYTES (default 2 MiB).",
            },
        },
    },
    "SharedDocument": {
        "type": "object",
        "required": ["document_id", "sha256", "size", "content_type"],
        "properties": {
            "document_id": {"type": "string"},
            "filename": {"type": "string"},
            "content_type": {"enum": sorted(ACCEPTED_TYPES)},
            "size": {"type": "integer"},
            "sha256": {"type": "string"},
            "stored_at": {"type": "string", "format": "date-time"},
            "created": {
                "type": "boolean",
                "description": "False: the owner had stored these bytes before; the first document is returned.",
            },
        },
    },
}

EXAMPLES = {
    "MaterialUpload": {
        "applicant_kind": "person",
        "applicant_id": "11010519491231002X",  # for the OpenAPI document
        "file": "%PDF-1.7 …",
    }
}

PATHS = {
    "/api/v1/materials": {
        "post": {
            "summary": "Store an applicant's document once (资料共享); reference it later by `document_id`.",
            "tags": ["materials"],
            "requestBody": {
                "required": True,
                "content": {"multipart/form-data": {"schema": {"$ref": "#/components/schemas/MaterialUpload"}}},
            },
            "responses": {
                "201": json_response("Stored.", "SharedDocument"),
                "200": json_response("The owner had stored the same bytes: the first document.", "SharedDocument"),
                "400": problem("The form cannot be read."),
                "413": problem("The file (or the request) is larger than allowed."),
                "415": problem("Not multipart/form-data, or not a PDF, JPEG or PNG."),
                "422": INVALID,
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/materials/{document_id}/content": {
        "get": {
            "summary": "A stored document's bytes, for staff who may see a case referencing it (the hall's windows "
            "see all).",
            "tags": ["materials"],
            "security": STAFF,
            "parameters": [path_param("document_id", "The shared document's id.")],
            "responses": {
                "200": {
                    "description": "The bytes, with the stored media type.",
                    "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in sorted(ACCEPTED_TYPES)},
                },
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": problem("No such document, or none of the caller's department's cases references it."),
                "503": UNAVAILABLE,
            },
        }
    },
}
