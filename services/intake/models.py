"""The intake service's documents (database ``<prefix>_intake``)."""
import mongoengine as me

from services.common.fields import InstantField

ALIAS = "intake"


class Step(me.EmbeddedDocument):
    """One moment of a case's timeline. ``key`` makes a repeated event a no-op."""

    key = me.StringField(required=True)
    kind = me.StringField(required=True)
    at = InstantField(required=True)
    by = me.StringField()
    detail = me.DictField()


class Case(me.Document):
    """One application (办件) and what intake knows of its progress.

    The timeline holds the facts (events from the approval, the applicant's supplements,
    collection); status, deadline and result are derived from it on every change and
    stored for search. Changes are compare-and-set on ``version``.
    """

    case_no = me.StringField(required=True, unique=True)
    query_code = me.StringField(required=True)
    idempotency_key = me.StringField(unique=True, sparse=True)
    item_code = me.StringField(required=True)
    department = me.StringField(required=True)
    process_key = me.StringField(required=True)
    applicant = me.DictField(required=True)
    applicant_id = me.StringField(required=True)
    materials = me.ListField(me.StringField())
    documents = me.ListField(me.DictField())
    form = me.DictField()
    status = me.StringField(required=True)
    current_step = me.StringField()
    outcome = me.StringField()
    outcome_label = me.StringField()  # how the process ended, in words (its end event's label or name)
    result = me.DictField()
    missing_materials = me.ListField(me.StringField())
    payment_due = me.DictField()  # the unpaid payment notice: notice_no, total_fen, due_on
    accepted_at = InstantField()
    deadline = InstantField()
    timeline = me.ListField(me.EmbeddedDocumentField(Step))
    version = me.IntField(default=0)
    # Outbox flag: set when the case is stored, cleared once case_submitted was dispatched,
    # so a replica that dies in between leaves the announcement to another one.
    announcement_pending = me.BooleanField(default=False)
    submitted_at = InstantField(required=True)
    updated_at = InstantField(required=True)

    meta = {"db_alias": ALIAS, "collection": "cases",
            "indexes": ["department", "applicant_id", "item_code", "status", "submitted_at",
                        "announcement_pending"]}


class DailyCounter(me.Document):
    """The last case number issued on one calendar day (Asia/Shanghai)."""

    day = me.StringField(primary_key=True)
    last = me.IntField(default=0)

    meta = {"db_alias": ALIAS, "collection": "daily_counters"}


class StoredContent(me.Document):
    """The bytes of a material, stored once per content hash, in ``MaterialChunk`` pieces.

    Written after all its chunks: a content record exists only for complete content.
    """

    sha256 = me.StringField(primary_key=True)
    size = me.IntField(required=True)
    chunk_count = me.IntField(required=True)
    stored_at = InstantField(required=True)

    meta = {"db_alias": ALIAS, "collection": "material_contents"}


class MaterialChunk(me.Document):
    """A piece of stored content; ``_id`` is ``<sha256>:<n>`` so a rewrite replaces it."""

    chunk_id = me.StringField(primary_key=True)
    data = me.BinaryField(required=True)

    meta = {"db_alias": ALIAS, "collection": "material_chunks"}


class SharedMaterial(me.Document):
    """An applicant's document (资料共享): uploaded once, referenced by later applications."""

    document_id = me.StringField(primary_key=True)
    owner_id = me.StringField(required=True)
    sha256 = me.StringField(required=True)
    filename = me.StringField(required=True)
    content_type = me.StringField(required=True)
    size = me.IntField(required=True)
    stored_at = InstantField(required=True)

    meta = {"db_alias": ALIAS, "collection": "shared_materials",
            "indexes": [{"fields": ["owner_id", "sha256"], "unique": True}]}
