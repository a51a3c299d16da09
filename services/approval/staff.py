"""The hall's staff roster as the approval service knows it: who holds which roles in which
department. The gateway owns the staff accounts; it sends the whole roster when it starts and
each account when it changes (``sync``). The roster only decides whether a task has anyone to
do it (``roles.no_one_reason``); who may work on a task is still checked from the caller's token."""

import threading
import time

from services.approval import models

ROSTER_TTL_SECONDS = 5


class StaffDirectory:
    """The roster, read from the store at most once per ``ROSTER_TTL_SECONDS`` (a task opening
    would otherwise cost store reads): an account changed through another replica counts here
    within that time, through this one at once (``forget``)."""

    def __init__(self, clock=time.monotonic):
        self._clock, self._lock = clock, threading.Lock()
        self._read_at, self._members, self._known = None, {}, False

    def _roster(self):
        if self._read_at is None or self._clock() - self._read_at > ROSTER_TTL_SECONDS:
            stored = list(models.StaffMember.objects.only("username", "roles", "department", "active"))
            with self._lock:
                self._members = {m.username: (set(m.roles), m.department) for m in stored if m.active}
                self._known, self._read_at = bool(stored), self._clock()
        return self._members

    def forget(self):
        with self._lock:
            self._read_at = None

    def known(self):
        """Whether the gateway has sent a roster at all."""
        self._roster()
        return self._known

    def exists(self, username):
        return username in self._roster()

    def holds(self, username, role, department):
        roles, their_department = self._roster().get(username, ((), None))
        return role in roles and their_department == department

    def any_holder(self, role, department):
        return any(
            role in roles and their_department == department for roles, their_department in self._roster().values()
        )


def sync(members, complete=False):
    """Store the staff ``members`` (``{username, roles, department, active}``); with
    ``complete`` they are the whole roster and anyone else is no longer staff. Returns how
    many members are active."""
    for member in members:
        models.StaffMember.objects(username=member["username"]).update_one(
            upsert=True,
            set__roles=sorted(set(member.get("roles") or ())),
            set__department=member.get("department"),
            set__active=bool(member.get("active", True)),
        )
    if complete:
        models.StaffMember.objects(username__nin=[m["username"] for m in members]).update(set__active=False)
    return models.StaffMember.objects(active=True).count()
