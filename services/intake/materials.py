"""Shared materials (资料共享): an applicant's documents stored once and referenced again
by later applications instead of being uploaded again.

Content is stored once per SHA-256 in chunks of the intake database (NX-27017's GridFS
could not delete files, see docs/decisions/0001); the chunks are written first and the
content record last, and an upload that fails half-way removes its chunks. A document
(owner, hash, name, type) is written only after its content is complete, so no document
ever points at missing bytes; the same owner uploading the same bytes gets the first
document back.
"""

import hashlib
import secrets

import mongoengine as me

from services.common.errors import InvalidInput, NotFound
from services.common.media import sniff
from services.common.time import isoformat
from services.intake import models

CHUNK_BYTES = 255 * 1024
MAX_FILENAME_LENGTH = 200


class SharedMaterials:
    def __init__(self, max_bytes):
        self.max_bytes = max_bytes

    def store(self, owner_id, filename, content, now):
        """Store ``content`` for ``owner_id``; returns ``(document, created)``."""
        filename = (filename or "").strip()
        if not filename or len(filename) > MAX_FILENAME_LENGTH:
            raise InvalidInput(
                "the file needs a name of at most 200 characters",
                [{"field": "file", "message": "file name 1 to 200 characters"}],
            )
        if not content:
            raise InvalidInput("the file is empty", [{"field": "file", "message": "empty"}])
        if len(content) > self.max_bytes:
            raise InvalidInput(
                f"the file is larger than {self.max_bytes} bytes",
                [{"field": "file", "message": f"at most {self.max_bytes} bytes"}],
            )
        media_type = sniff(content)
        if media_type is None:
            raise InvalidInput(
                "only PDF, JPEG and PNG files are accepted", [{"field": "file", "message": "PDF, JPEG or PNG"}]
            )
        sha256 = hashlib.sha256(content).hexdigest()
        existing = models.SharedMaterial.objects(owner_id=owner_id, sha256=sha256).first()
        if existing is not None:
            return existing, False
        self._store_content(sha256, content, now)
        document = models.SharedMaterial(
            document_id=secrets.token_hex(12),
            owner_id=owner_id,
            sha256=sha256,
            filename=filename,
            content_type=media_type,
            size=len(content),
            stored_at=now,
        )
        try:
            document.save(force_insert=True)
        except me.NotUniqueError:
            # The same upload, twice at once: the other one's document stands.
            return models.SharedMaterial.objects(owner_id=owner_id, sha256=sha256).first(), False
        return document, True

    @staticmethod
    def _store_content(sha256, content, now):
        if models.StoredContent.objects(sha256=sha256).first() is not None:
            return
        pieces = [content[i : i + CHUNK_BYTES] for i in range(0, len(content), CHUNK_BYTES)]
        chunk_ids = [f"{sha256}:{n}" for n in range(len(pieces))]
        try:
            for chunk_id, piece in zip(chunk_ids, pieces):
                models.MaterialChunk(chunk_id=chunk_id, data=piece).save()
            models.StoredContent(sha256=sha256, size=len(content), chunk_count=len(pieces), stored_at=now).save()
        except Exception:
            models.MaterialChunk.objects(chunk_id__in=chunk_ids).delete()
            raise

    def reference(self, owner_id, code, document_id):
        """What a case keeps of a shared document it uses; only the owner's documents."""
        document = models.SharedMaterial.objects(document_id=str(document_id)).first()
        if document is None or document.owner_id != owner_id:
            raise InvalidInput(
                f"material {code}: no shared document {document_id} of this applicant",
                [{"field": "materials", "message": f"{code}: unknown document {document_id}"}],
            )
        return {
            "code": code,
            "document_id": document.document_id,
            "filename": document.filename,
            "sha256": document.sha256,
        }

    @staticmethod
    def content(document_id):
        """``(document, bytes)`` of a stored document."""
        document = models.SharedMaterial.objects(document_id=str(document_id)).first()
        stored = document and models.StoredContent.objects(sha256=document.sha256).first()
        if not stored:
            raise NotFound(f"no shared document {document_id}")
        ids = [f"{document.sha256}:{n}" for n in range(stored.chunk_count)]
        chunks = {c.chunk_id: c.data for c in models.MaterialChunk.objects(chunk_id__in=ids)}
        return document, b"".join(chunks[i] for i in ids)


def document_view(document, created):
    return {
        "document_id": document.document_id,
        "filename": document.filename,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "stored_at": isoformat(document.stored_at),
        "created": created,
    }
