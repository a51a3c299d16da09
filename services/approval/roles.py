"""Who does a diagram's user tasks in this hall: the role mapping of a process, and the rule
that a task nobody can do is an incident, never a silent wait.

A diagram names roles in its lanes and candidate groups (``Clerk``, ``Manager``,
``reviewer:taxation``). A role that is a role of the hall (``STAFF_ROLES``) is taken as it is;
any other is a *finding* of the deploy, and the process key's **role mapping** says which hall
role and/or department it stands for. The mapping is kept per process key, applies to every
version of that key, and every change is recorded (who, when, before, after). A process with
unmapped roles is deployed but does not start: a case of it waits in an incident at its start
until the roles are mapped (and then starts by itself).

A task whose candidates resolve to nobody — a role that is not the hall's, a role no staff
member holds in the task's department, candidate users that are not staff, an assignee
expression that names no one — is held in an incident at that task, shown to admins with the
case's process (``GET /api/v1/cases/{no}/process``); an admin's retry (after adding staff or
fixing the data) opens it again. Who holds which role comes from the staff roster the gateway
sends (``staff.py``); until the gateway has sent one, only the rules that need no roster apply.
"""

import re
import threading
import time

import mongoengine as me

from services.approval import models
from services.common.errors import Conflict, InvalidInput
from services.common.staff_roles import STAFF_ROLES

# Why a case waits in an incident (`incident.kind`): nobody can do a task, or its process's
# roles are not mapped yet. A role mapping's change starts (retries) cases held for either.
NO_ONE = "no_one"
UNMAPPED = "unmapped_roles"
# A step reads its process's mapping from this replica's copy, at most this old: a change made
# through another replica applies here within it (through this one, at once).
MAPPING_TTL_SECONDS = 5
DEPARTMENT = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_ROLES = 100


def unmapped(diagram_roles, mapping):
    """The roles a diagram names that are neither the hall's nor mapped."""
    return [role for role in diagram_roles if role not in STAFF_ROLES and role not in mapping]


def assign(task, mapping):
    """The hall role and department (None: the case's) of an open task (``bpmn_engine``'s
    description) under the process's mapping ``{diagram role: {"role", "department"}}``."""
    mapped = mapping.get(task["role"]) or {}
    return mapped.get("role") or task["role"], mapped.get("department") or task["department"]


def no_one_reason(task, role, department, on_the_spot, staff):
    """Why nobody can do the open task (None when someone can): ``role`` and ``department``
    are the task's after the mapping, ``on_the_spot`` its on-the-spot claim
    (``"role:department"`` or None), ``staff`` the roster (``staff.StaffDirectory``)."""
    name = f"“{task['name']}”"
    if not role:
        people = task["candidate_users"]
        if not people:
            return f"{name} names its people by camunda:candidateUsers/assignee, and they resolved to no one"
        if staff.known() and not any(staff.exists(person) for person in people):
            return f"{name} is for {', '.join(people)}, none of whom is a member of staff"
        return None
    if role not in STAFF_ROLES:
        return (
            f"{name} is for the role {role!r}, which is not a role of the hall: map it to one "
            f"(PUT /api/v1/processes/{{key}}/roles)"
        )
    if not staff.known():
        return None
    claim_role, _, claim_department = (on_the_spot or "").partition(":")
    if task["assignee"]:
        if staff.holds(task["assignee"], role, department) or (
            on_the_spot and staff.holds(task["assignee"], claim_role, claim_department)
        ):
            return None
        return f"{name} is assigned to {task['assignee']!r}, who is not a {role} of {department}"
    if staff.any_holder(role, department) or (on_the_spot and staff.any_holder(claim_role, claim_department)):
        return None
    return f"{name} is for the role {role} of {department}, which no member of staff holds"


def mapping_of(key):
    """The process key's role mapping, ``{diagram role: {"role", "department"}}``."""
    stored = models.RoleMapping.objects(key=key).only("roles").first()
    return {entry["diagram_role"]: entry for entry in stored.roles} if stored is not None else {}


class Mappings:
    """The role mappings by process key, read from the store at most once per
    ``MAPPING_TTL_SECONDS`` (a step would otherwise read one more document)."""

    def __init__(self, clock=time.monotonic):
        self._clock, self._read, self._lock = clock, {}, threading.Lock()

    def of(self, key):
        read_at, mapping = self._read.get(key, (None, None))
        if read_at is None or self._clock() - read_at > MAPPING_TTL_SECONDS:
            mapping = mapping_of(key)
            with self._lock:
                self._read[key] = (self._clock(), mapping)
        return mapping

    def forget(self, key):
        with self._lock:
            self._read.pop(key, None)


def mapping_view(key):
    stored = models.RoleMapping.objects(key=key).first()
    if stored is None:
        return {"key": key, "roles": [], "rev": 0, "updated_at": None, "updated_by": None}
    return {
        "key": key,
        "roles": list(stored.roles),
        "rev": stored.rev,
        "updated_at": stored.updated_at.isoformat(),
        "updated_by": stored.updated_by,
    }


def checked_entries(entries):
    """The mapping's entries, each ``{diagram_role, role, department}``, or InvalidInput
    naming the entry: a role must be the hall's, and an entry without one maps a hall role
    to a department."""
    checked, seen, problems = {}, set(), []
    for n, entry in enumerate(entries[: MAX_ROLES + 1]):
        diagram_role = str(entry.get("diagram_role") or "").strip()
        role, department = entry.get("role") or None, entry.get("department") or None
        where = f"roles[{n}]"
        twice = diagram_role in seen
        seen.add(diagram_role)
        if not diagram_role:
            problems.append({"field": where, "message": "diagram_role is required"})
        elif twice:
            problems.append({"field": where, "message": f"the role {diagram_role!r} is mapped twice"})
        elif role is not None and role not in STAFF_ROLES:
            problems.append(
                {"field": where, "message": f"{role!r} is not a role of the hall ({', '.join(STAFF_ROLES)})"}
            )
        elif role is None and department is None:
            problems.append({"field": where, "message": "map the role to a hall role, a department or both"})
        elif role is None and diagram_role not in STAFF_ROLES:
            problems.append(
                {
                    "field": where,
                    "message": f"{diagram_role!r} is not a role of the hall: name the hall role it stands for",
                }
            )
        elif department is not None and not DEPARTMENT.match(department):
            problems.append({"field": where, "message": f"{department!r} is not a department code"})
        else:
            checked[diagram_role] = {"diagram_role": diagram_role, "role": role, "department": department}
    if len(entries) > MAX_ROLES:
        problems.append({"field": "roles", "message": f"at most {MAX_ROLES} roles"})
    if problems:
        raise InvalidInput("the role mapping is invalid", problems)
    return list(checked.values())


def set_mapping(key, entries, rev, user, now, request_id=None):
    """Replace the key's mapping (compare-and-set on ``rev``: 0 for a key without one) and
    record the change. Returns the new view."""
    roles = checked_entries(entries)
    before = models.RoleMapping.objects(key=key).first()
    if (before.rev if before is not None else 0) != rev:
        raise Conflict(
            f"the role mapping of {key} was changed meanwhile (now at rev {before.rev if before else 0}): reload it"
        )
    if before is None:
        try:
            models.RoleMapping(key=key, roles=roles, rev=1, updated_at=now, updated_by=user).save(force_insert=True)
        except me.NotUniqueError:
            raise Conflict(f"the role mapping of {key} was changed meanwhile: reload it") from None
    elif not models.RoleMapping.objects(key=key, rev=rev).update_one(
        set__roles=roles, set__updated_at=now, set__updated_by=user, inc__rev=1
    ):
        raise Conflict(f"the role mapping of {key} was changed meanwhile: reload it")
    models.RoleMappingChange(
        key=key,
        rev=rev + 1,
        at=now,
        by=user,
        before=list(before.roles) if before else [],
        after=roles,
        request_id=request_id,
    ).save()
    return mapping_view(key)


def history(key):
    """Every change of the key's mapping, oldest first."""
    return [
        {
            "rev": change.rev,
            "at": change.at.isoformat(),
            "by": change.by,
            "before": change.before,
            "after": change.after,
            "request_id": change.request_id,
        }
        for change in models.RoleMappingChange.objects(key=key).order_by("rev")
    ]
