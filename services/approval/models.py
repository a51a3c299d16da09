"""The approval service's documents (database ``<prefix>_approval``).

Open tasks live in their own small collection (work lists read only it); finished
tasks move to the task history, which also tells a late second completion apart
from an unknown task.
"""
import mongoengine as me

from services.common.fields import InstantField

ALIAS = "approval"


class ProcessDefinition(me.Document):
    """One deployed version of a BPMN process; identical content is never a new version."""

    key = me.StringField(required=True)
    version = me.IntField(required=True)
    content_hash = me.StringField(required=True)
    name = me.StringField()
    filename = me.StringField()
    xml = me.StringField(required=True)
    deployed_at = InstantField(required=True)

    meta = {
        "db_alias": ALIAS, "collection": "process_definitions",
        "indexes": [{"fields": ["key", "version"], "unique": True},
                    {"fields": ["key", "content_hash"], "unique": True}],
    }


class ProcessInstance(me.Document):
    """A running or finished process for one case. ``state`` is SpiffWorkflow's serialized
    workflow without its definition; ``rev`` guards every save (compare-and-set)."""

    case_no = me.StringField(required=True, unique=True)
    process_key = me.StringField(required=True)
    process_version = me.IntField(required=True)
    item_code = me.StringField()
    department = me.StringField(required=True)
    status = me.StringField(required=True)
    state = me.StringField(required=True)
    rev = me.IntField(required=True, default=1)
    started_at = InstantField(required=True)
    updated_at = InstantField(required=True)

    meta = {"db_alias": ALIAS, "collection": "process_instances"}


class UserTaskFields(me.Document):
    """What open and completed user tasks both record."""

    task_id = me.StringField(required=True, unique=True)
    case_no = me.StringField(required=True)
    element_id = me.StringField(required=True)
    name = me.StringField(required=True)
    role = me.StringField(required=True)
    department = me.StringField(required=True)

    meta = {"abstract": True}


class OpenTask(UserTaskFields):
    """A user task waiting for someone with ``role`` in ``department``."""

    form = me.ListField(me.DictField())
    created_at = InstantField(required=True)

    meta = {"db_alias": ALIAS, "collection": "open_tasks", "indexes": ["role", "case_no"]}


class TaskHistory(UserTaskFields):
    """A completed user task: who, when, with what data."""

    completed_by = me.StringField(required=True)
    completed_at = InstantField(required=True)
    data = me.DictField()

    meta = {"db_alias": ALIAS, "collection": "task_history", "indexes": ["case_no"]}
