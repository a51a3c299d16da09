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
    stored for search. Changes are compare-and-set on ``version``. The approval's plain
    steps are not copied here: views ask the approval for them (``timeline.steps_view``).
    """

    case_no = me.StringField(required=True, unique=True)
    query_code = me.StringField(required=True)
    # The caller-scoped Idempotency-Key and request fingerprint it was submitted with
    # (services.common.idempotency), written with the case: the proof of a submission's outcome.
    idempotency_key = me.StringField(unique=True, sparse=True)
    request_fingerprint = me.StringField()
    item_code = me.StringField(required=True)
    department = me.StringField(required=True)
    process_key = me.StringField(required=True)
    # The item's version the case was submitted under: its limits, fees and materials hold for
    # the case whatever later versions say. Cases older than item versions had the seeded one.
    item_version = me.IntField(default=1)
    applicant = me.DictField(required=True)
    applicant_id = me.StringField(required=True)
    materials = me.ListField(me.StringField())
    documents = me.ListField(me.DictField())
    form = me.DictField()
    status = me.StringField(required=True)
    # Retired: the approval answers the current step (``case_progress``). Kept for one release so
    # that cases stored before still load (docs/operations.md, "Data"); nothing reads it.
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

    meta = {
        "db_alias": ALIAS,
        "collection": "cases",
        "indexes": ["department", "applicant_id", "item_code", "status", "submitted_at", "announcement_pending"],
    }


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

    meta = {
        "db_alias": ALIAS,
        "collection": "shared_materials",
        "indexes": [{"fields": ["owner_id", "sha256"], "unique": True}],
    }


class CatalogDepartment(me.Document):
    """A department that publishes items (seeded from ``catalog/*.yaml``)."""

    code = me.StringField(primary_key=True)
    name_zh = me.StringField(required=True)
    name_en = me.StringField(required=True)
    position = me.IntField(required=True)  # the order of the seed files

    meta = {"db_alias": ALIAS, "collection": "catalog_departments"}


class CatalogItem(me.Document):
    """An item of the catalog and where it stands: its newest version, its publications and
    its retirement. Versions themselves are immutable (``ItemVersion``). Changes are
    compare-and-set on ``rev``."""

    code = me.StringField(primary_key=True)
    department = me.StringField(required=True)
    latest_version = me.IntField(required=True)
    # {version, effective_from: "YYYY-MM-DD" (hall calendar) or None (seeded: since the seed), published_at, by}
    publications = me.ListField(me.DictField())
    retired_from = me.StringField()  # "YYYY-MM-DD": no new applications from that day on
    rev = me.IntField(default=0)
    created_at = InstantField(required=True)
    updated_at = InstantField(required=True)

    meta = {"db_alias": ALIAS, "collection": "catalog_items"}


class ItemVersion(me.Document):
    """One version of an item, as validated (``catalog.item_fields``); never changed."""

    key = me.StringField(primary_key=True)  # "<code>:<version>"
    code = me.StringField(required=True)
    version = me.IntField(required=True)
    fields = me.DictField(required=True)
    changed = me.ListField(me.StringField())  # the fields that differ from the version before
    created_at = InstantField(required=True)
    created_by = me.StringField(required=True)

    meta = {"db_alias": ALIAS, "collection": "catalog_item_versions", "indexes": ["code"]}


class CatalogChange(me.Document):
    """The audit trail of the catalog: who did what to which item, when, and what changed."""

    code = me.StringField(required=True)
    seed_key = me.StringField(unique=True, sparse=True)  # "<code>": replicas seeding at once record it once
    action = me.StringField(required=True)  # seeded, created, edited, published, retired
    version = me.IntField()
    actor = me.StringField(required=True)
    at = InstantField(required=True)
    changes = me.DictField()  # field -> {"from", "to"}; for publish/retire: effective_from, reason

    meta = {"db_alias": ALIAS, "collection": "catalog_changes", "indexes": ["code"]}
