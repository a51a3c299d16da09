"""The intake service's documents (database ``<prefix>_intake``)."""
import mongoengine as me

from services.common.fields import InstantField

ALIAS = "intake"


class Case(me.Document):
    """One application (办件) and what intake knows of its progress."""

    case_no = me.StringField(required=True, unique=True)
    query_code = me.StringField(required=True)
    idempotency_key = me.StringField(unique=True, sparse=True)
    item_code = me.StringField(required=True)
    department = me.StringField(required=True)
    process_key = me.StringField(required=True)
    applicant = me.DictField(required=True)
    materials = me.ListField(me.StringField())
    form = me.DictField()
    status = me.StringField(required=True)
    current_step = me.StringField()
    outcome = me.StringField()
    progress_rev = me.IntField(default=0)
    submitted_at = InstantField(required=True)
    updated_at = InstantField(required=True)

    meta = {"db_alias": ALIAS, "collection": "cases", "indexes": ["department"]}


class DailyCounter(me.Document):
    """The last case number issued on one calendar day (Asia/Shanghai)."""

    day = me.StringField(primary_key=True)
    last = me.IntField(default=0)

    meta = {"db_alias": ALIAS, "collection": "daily_counters"}
