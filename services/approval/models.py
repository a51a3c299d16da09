"""The approval service's documents (database ``<prefix>_approval``).

A process instance carries what its open tasks need for work lists, and each saved step
leaves one step record (its audit entries, completed task and events): a completion writes
the instance and one record, nothing else. The hot paths read and write these two through
the raw collections (``services.common.db.collection_of``); the classes are their schema
and serve the cold paths.
"""

import mongoengine as me
from pymongo.errors import OperationFailure

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
    dmn = me.ListField(me.StringField())  # the decision tables its business-rule tasks use
    # spiff-arena form JSON schemas its user tasks name: [{"filename", "schema" (JSON text)}]
    # (a list, not a dict: file names hold dots, which MongoDB keys must not)
    forms = me.ListField(me.DictField())
    # the deployed versions its call activities call, resolved at deploy: [{"key", "version"}]
    called = me.ListField(me.DictField())
    deployed_at = InstantField(required=True)

    meta = {
        "db_alias": ALIAS,
        "collection": "process_definitions",
        "indexes": [
            {"fields": ["key", "version"], "unique": True},
            {"fields": ["key", "content_hash"], "unique": True},
        ],
    }


class ProcessInstance(me.Document):
    """A running or finished process for one case. ``state`` is SpiffWorkflow's serialized
    workflow without its definition; ``rev`` guards every save (compare-and-set).

    ``status`` is ``in_progress``, ``incident`` (a step failed: ``incident`` says where and
    why) or ``completed``. ``consumed_messages`` lists the ids of the stored messages this
    instance has taken, written in the same compare-and-set as the state, so a message is
    delivered once even when replicas race.

    ``open_tasks`` are its ready user tasks as work lists show them (``step_rules.task_view``
    plus ``due_order``, ``separate_from`` and ``excluded``; instants in epoch milliseconds),
    ``done`` its completed ones (who, when, through which claim). ``task_keys`` is a text
    index standing in for a multikey one, which the embedded store lacks (it indexes no
    arrays): one token per task id (open or done) and per work-list key of an open task
    (``instances.work_keys``), so a completion finds its instance and a work list its tasks
    by index, whatever the history."""

    case_no = me.StringField(required=True, unique=True)
    # A sub-instance's case: a message of the case started it (``case_no`` is then its own
    # number, ``instances.sub_instance_no``); None for the case's own process.
    parent_case = me.StringField()
    process_key = me.StringField(required=True)
    process_version = me.IntField(required=True)
    item_code = me.StringField()
    department = me.StringField(required=True)
    status = me.StringField(required=True)
    state = me.StringField(required=True)
    rev = me.IntField(required=True, default=1)
    incident = me.DictField()
    waiting_messages = me.ListField(me.StringField())
    consumed_messages = me.ListField(me.StringField())
    next_timer_at = InstantField()  # the earliest timer the instance waits for
    # Outbox: the audit entries and the hall's events of the saved steps not yet known to be
    # stored and dispatched, as JSON ``{"audit": [...], "events": [[event, payload], ...]}``
    # (keys come from forms: no dotted keys in storage), written in the same compare-and-set
    # as the state and emptied once dispatched (``instances.py``).
    open_tasks = me.ListField(me.DictField())
    done = me.ListField(me.DictField())
    task_keys = me.StringField(default="")
    # Outbox: the steps saved and not yet known to be recorded (each with its audit entries,
    # completed task and the hall's events), as JSON ``{"steps": [...]}`` (keys come from
    # forms and messages: no dotted keys in storage), written in the same compare-and-set as
    # the state; ``outbox_pending`` is cleared by the sweep once their records exist.
    outbox = me.StringField(default="")
    outbox_pending = me.BooleanField(default=False)
    started_at = InstantField(required=True)
    updated_at = InstantField(required=True)

    meta = {
        "db_alias": ALIAS,
        "collection": "process_instances",
        "indexes": [
            {"fields": ["next_timer_at"], "sparse": True},
            "outbox_pending",
            {"fields": ["parent_case"], "sparse": True},
            {"fields": ["$task_keys"], "default_language": "none"},
        ],
    }

    @classmethod
    def ensure_indexes(cls):
        """mongoengine asks for the indexes each time a process first reaches the collection;
        NX-27017 0.8.1 answers "constraint failed" when asked again for the text index over
        stored instances (a restarted service), although the index is there."""
        try:
            super().ensure_indexes()
        except OperationFailure as failed:
            if "constraint failed" not in str(failed):
                raise


class PendingTimer(me.Document):
    """One per instance that waits for a timer (``_id`` = case number): the scheduler's small
    collection, so it never scans all instances. The instance's ``next_timer_at`` is the truth;
    this copy is written before a save (never later than the truth) and settled after it
    (guarded by ``rev``), so a crash in between leaves it early, never missing."""

    case_no = me.StringField(primary_key=True)
    due_at = InstantField(required=True)
    rev = me.IntField(required=True, default=0)

    meta = {"db_alias": ALIAS, "collection": "timers", "indexes": ["due_at"]}


class Message(me.Document):
    """A message for a case's process (e.g. ``supplement_received``, ``payment_confirmed``),
    kept until the instance waits for it. ``message_id`` makes a repeated event harmless."""

    message_id = me.StringField(required=True, unique=True)
    case_no = me.StringField(required=True)
    name = me.StringField(required=True)
    data = me.DictField()
    correlations = me.DictField()  # spiff-arena's correlation keys: {key: {property: value}}
    received_at = InstantField(required=True)

    meta = {"db_alias": ALIAS, "collection": "messages", "indexes": ["case_no"]}


class MessageStart(me.Document):
    """The deployed process a message starts (``_id`` = the message's name): the key of the
    process whose message start event catches it, from whichever file it was deployed; one
    process per name, as in Camunda (``definitions.py``). Written at deploy, so routing a
    message reads one document instead of every diagram."""

    name = me.StringField(primary_key=True)
    key = me.StringField(required=True)

    meta = {"db_alias": ALIAS, "collection": "message_starts"}


class Step(me.Document):
    """What one saved step of an instance did (``_id`` = ``<case>:<rev>``; a message received
    is ``<case>:message:<id>``), stored once its events went out, so a stored record is a sent
    one: ``body`` is JSON ``{"audit": [...], "tasks": [...], "events": [...]}``, the audit
    entries (instants in ISO), the task it completed (the task history) and the events."""

    key = me.StringField(primary_key=True)
    case_no = me.StringField(required=True)
    rev = me.IntField()
    at = InstantField(required=True)
    body = me.StringField(required=True)

    meta = {"db_alias": ALIAS, "collection": "steps", "indexes": ["case_no"]}


class TestRun(me.Document):
    """A process designer's test instance (``_id`` = ``T-`` and 12 hex digits) of a deployed
    version or of an uploaded diagram (``diagram``: its XML, file name, decision tables and
    forms as JSON text). Kept apart from the hall's instances, open tasks and timers, so no
    work list, scheduler, statistic or lookup meets it; removed after ``expires_at``
    (``test_runs.py``). ``steps`` records what the designer did, in order, as JSON text (its
    data comes from forms and messages: no dotted keys in storage)."""

    run_id = me.StringField(primary_key=True)
    process_key = me.StringField(required=True)
    process_version = me.IntField()  # None: an uploaded diagram, not deployed
    name = me.StringField()
    diagram = me.DictField()
    status = me.StringField(required=True)
    state = me.StringField(required=True)
    # the instances its messages started (collaboration partners), as JSON text
    # [{"process_id", "state"}]
    partners = me.StringField(default="")
    rev = me.IntField(required=True, default=1)
    steps = me.StringField(required=True)
    started_by = me.StringField(required=True)
    started_at = InstantField(required=True)
    updated_at = InstantField(required=True)
    expires_at = InstantField(required=True)

    meta = {"db_alias": ALIAS, "collection": "test_runs", "indexes": ["expires_at"]}


class RoleMapping(me.Document):
    """A process key's role mapping (``roles.py``): which hall role and/or department each
    role its diagrams name stands for, for every version of the key; ``rev`` guards a change."""

    key = me.StringField(primary_key=True)
    # [{"diagram_role", "role" (or None), "department" (or None)}]
    roles = me.ListField(me.DictField())
    rev = me.IntField(required=True)
    updated_at = InstantField(required=True)
    updated_by = me.StringField(required=True)

    meta = {"db_alias": ALIAS, "collection": "role_mappings"}


class RoleMappingChange(me.Document):
    """One change of a role mapping: who, when, in which request, before and after."""

    key = me.StringField(required=True)
    rev = me.IntField(required=True)
    at = InstantField(required=True)
    by = me.StringField(required=True)
    before = me.ListField(me.DictField())
    after = me.ListField(me.DictField())
    request_id = me.StringField()

    meta = {"db_alias": ALIAS, "collection": "role_mapping_changes", "indexes": [("key", "rev")]}


class StaffMember(me.Document):
    """One member of staff as the gateway last sent it (``staff.py``)."""

    username = me.StringField(primary_key=True)
    roles = me.ListField(me.StringField())
    department = me.StringField()
    active = me.BooleanField(default=True)

    meta = {"db_alias": ALIAS, "collection": "staff", "indexes": [("roles", "department")]}
