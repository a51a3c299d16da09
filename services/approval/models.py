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
    dmn = me.ListField(me.StringField())  # the decision tables its business-rule tasks use
    # spiff-arena form JSON schemas its user tasks name: [{"filename", "schema" (JSON text)}]
    # (a list, not a dict: file names hold dots, which MongoDB keys must not)
    forms = me.ListField(me.DictField())
    # the deployed versions its call activities call, resolved at deploy: [{"key", "version"}]
    called = me.ListField(me.DictField())
    deployed_at = InstantField(required=True)

    meta = {
        "db_alias": ALIAS, "collection": "process_definitions",
        "indexes": [{"fields": ["key", "version"], "unique": True},
                    {"fields": ["key", "content_hash"], "unique": True}],
    }


class ProcessInstance(me.Document):
    """A running or finished process for one case. ``state`` is SpiffWorkflow's serialized
    workflow without its definition; ``rev`` guards every save (compare-and-set).

    ``status`` is ``in_progress``, ``incident`` (a step failed: ``incident`` says where and
    why) or ``completed``. ``consumed_messages`` lists the ids of the stored messages this
    instance has taken, written in the same compare-and-set as the state, so a message is
    delivered once even when replicas race."""

    case_no = me.StringField(required=True, unique=True)
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
    outbox = me.StringField(default="")
    outbox_pending = me.BooleanField(default=False)
    started_at = InstantField(required=True)
    updated_at = InstantField(required=True)

    meta = {"db_alias": ALIAS, "collection": "process_instances",
            "indexes": [{"fields": ["next_timer_at"], "sparse": True}, "outbox_pending"]}


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
    received_at = InstantField(required=True)

    meta = {"db_alias": ALIAS, "collection": "messages", "indexes": ["case_no"]}


class AuditEntry(me.Document):
    """One thing that happened to an instance: who, when, which element, what data, in which request."""

    case_no = me.StringField(required=True)
    at = InstantField(required=True)
    kind = me.StringField(required=True)
    element_id = me.StringField()
    actor = me.StringField()
    data = me.DictField()
    rev = me.IntField()
    request_id = me.StringField()  # the gateway request it happened in (services.common.tracing)
    # ``<case>:<rev>:<n>`` for the entries of a step, which may be stored twice (the outbox)
    key = me.StringField(unique=True, sparse=True)

    meta = {"db_alias": ALIAS, "collection": "audit_trail", "indexes": ["case_no"]}


class UserTaskFields(me.Document):
    """What open and completed user tasks both record."""

    task_id = me.StringField(required=True, unique=True)
    case_no = me.StringField(required=True)
    element_id = me.StringField(required=True)
    name = me.StringField(required=True)
    role = me.StringField(required=True)  # "" for a task that names its people (candidate_users)
    department = me.StringField(required=True)
    assignee = me.StringField()  # `camunda:assignee`: only this user of the role may work on it
    # "role:department" that may also claim it, the case's item being decided on the spot (worklist.py)
    on_the_spot = me.StringField()
    # The people a task without a role is for (`camunda:candidateUsers`, or its assignee)
    candidate_users = me.ListField(me.StringField())

    meta = {"abstract": True}


class OpenTask(UserTaskFields):
    """A user task waiting for someone with ``role`` in ``department``."""

    process_key = me.StringField()  # work lists filter by it
    form = me.ListField(me.DictField())
    created_at = InstantField(required=True)
    due_at = InstantField()
    # The work-list order as one number, so the store sorts and pages (instances.due_order)
    due_order = me.LongField()
    # 审批分离: the task ids it is separated from (`separate_from`), and who completed them
    separate_from = me.ListField(me.StringField())
    excluded = me.ListField(me.StringField())

    meta = {"db_alias": ALIAS, "collection": "open_tasks",
            "indexes": ["role", "case_no", ("department", "role", "due_order"), ("on_the_spot", "due_order"),
                        ("candidate_users", "due_order")]}


class TaskHistory(UserTaskFields):
    """A completed user task: who, when, with what data."""

    completed_by = me.StringField(required=True)
    completed_at = InstantField(required=True)
    data = me.DictField()

    meta = {"db_alias": ALIAS, "collection": "task_history", "indexes": ["case_no"]}


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
