"""Shared materials (资料共享): an applicant uploads a document once and names it in later
applications and supplements instead of uploading it again. Size and type are checked
here before the bytes travel (413 / 415); the intake service checks them again. Staff
download a document's bytes where they may see a case that references it."""

import base64
import hashlib
from urllib.parse import quote

from flask import Blueprint, Response, current_app, g, jsonify, request

from gateway.api import rpc
from gateway.api.cases import STAFF_ROLES
from gateway.auth import requires_role
from gateway.idempotency import idempotency
from gateway.problems import Problem
from services.common.media import sniff

bp = Blueprint("materials", __name__, url_prefix="/api/v1")

FIELDS = {"applicant_kind", "applicant_id"}


@bp.post("/materials")
def store_material():
    if request.mimetype != "multipart/form-data":
        raise Problem(415, "Unsupported media type", "send the document as multipart/form-data")
    unknown = (set(request.form) - FIELDS) | (set(request.files) - {"file"})
    missing = (FIELDS - set(request.form)) | ({"file"} - set(request.files))
    errors = [{"field": name, "message": "unknown field"} for name in sorted(unknown)]
    errors += [{"field": name, "message": "required"} for name in sorted(missing)]
    if errors:
        raise Problem(422, "Invalid input", "the form does not match MaterialUpload", errors)
    upload = request.files["file"]
    limit = current_app.config["MATERIAL_MAX_BYTES"]
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise Problem(413, "Content too large", f"a document may have at most {limit} bytes")
    media_type = sniff(content)
    if media_type is None or upload.mimetype not in (media_type, "application/octet-stream"):
        raise Problem(
            415,
            "Unsupported media type",
            f"a document must be a PDF, JPEG or PNG file (declared {upload.mimetype or 'nothing'})",
        )
    once = idempotency({**request.form.to_dict(), "file": [upload.filename, hashlib.sha256(content).hexdigest()]})
    document = rpc().intake.store_material(
        request.form["applicant_kind"],
        request.form["applicant_id"],
        upload.filename or "",
        base64.b64encode(content).decode("ascii"),
        idempotency=once,
    )
    response = jsonify(document)
    response.status_code = 201 if document["created"] else 200
    return response


@bp.get("/materials/<document_id>/content")
@requires_role(*STAFF_ROLES)
def material_content(document_id):
    if len(document_id) > 64:
        raise Problem(404, "Not found", f"no shared document {document_id}")
    document = rpc().intake.get_material_content(document_id, g.principal)
    return Response(
        base64.b64decode(document["content_base64"]),
        mimetype=document["content_type"],
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(document['filename'])}"},
    )
