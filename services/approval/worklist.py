"""Who may see and complete a task.

A task belongs to a role (its lane or candidate group) and a department. Roles of the
hall itself — the intake window (``clerk``) and the bank window (``cashier``) — work for
every department, so their tasks belong to the department ``hall``; every other task
belongs to the department of the case's item.

Two rules of the hall add to that:

- 首席代表制 (on the spot): a task with the property ``on_the_spot`` (a role, e.g. ``chief``)
  is, for a case whose item is decided on the spot, also claimable by that role of the
  item's department — the task's *on-the-spot claim*, ``"role:department"``. Whoever
  completes it through that claim is recorded as ``on_the_spot_by`` in the case data.
- 审批分离 (separation): a task with the property ``separate_from`` is never completed by a
  person who completed one of the named tasks of the same case: it is not offered in their
  work list (``excluded``), and completing it anyway is refused (403) saying why.
"""

HALL_DEPARTMENT = "hall"
HALL_ROLES = frozenset({"clerk", "cashier"})
ON_THE_SPOT_BY = "on_the_spot_by"


def task_department(role, case_department):
    return HALL_DEPARTMENT if role in HALL_ROLES else case_department


def on_the_spot_claim(role, case_department):
    """The claim a task's ``on_the_spot`` role gives: that role of the item's department."""
    return f"{role}:{case_department}" if role else None


def claims(user):
    """Every on-the-spot claim the user holds: each of their roles in their department."""
    return [f"{role}:{user.get('department')}" for role in user.get("roles", ())]


def can_work_on(user, task):
    """A task with an assignee (`camunda:assignee`) is that user's alone, within its role and
    department; a task with an on-the-spot claim is also the claim's; a task that names its
    people instead of a role (``candidate_users``) is theirs, whatever their role.

    ``task`` is a dict with ``role``, ``department``, ``assignee``, ``on_the_spot`` and ``candidate_users``."""
    if task["assignee"] not in (None, user.get("username")):
        return False
    return (
        _in_own_right(user, task["role"], task["department"])
        or user.get("username") in (task["candidate_users"] or ())
        or (task["on_the_spot"] is not None and task["on_the_spot"] in claims(user))
    )


def work_keys(task):
    """The keys under which a task is found for work lists: its role in its department, its
    on-the-spot claim, the people it names. A user looks under ``user_keys``."""
    return (
        ([f"{task['role']}:{task['department']}"] if task["role"] else [])
        + ([task["on_the_spot"]] if task["on_the_spot"] else [])
        + [f"user:{username}" for username in task["candidate_users"] or ()]
    )


def user_keys(user):
    """Where a user's tasks are found: each of their roles in their department (which is also
    each on-the-spot claim they hold), and their name."""
    return [*claims(user), f"user:{user.get('username')}"]


def claims_on_the_spot(user, role, department, on_the_spot):
    """True when the user may work on the task only through its on-the-spot claim."""
    return on_the_spot is not None and on_the_spot in claims(user) and not _in_own_right(user, role, department)


def _in_own_right(user, role, department):
    return role in user.get("roles", ()) and department == user.get("department")
