"""Who may see and complete a task.

A task belongs to a role (its lane or candidate group) and a department. Roles of the
hall itself — the intake window (``clerk``) and the bank window (``cashier``) — work for
every department, so their tasks belong to the department ``hall``; every other task
belongs to the department of the case's item.
"""
HALL_DEPARTMENT = "hall"
HALL_ROLES = frozenset({"clerk", "cashier"})


def task_department(role, case_department):
    return HALL_DEPARTMENT if role in HALL_ROLES else case_department


def can_work_on(user, role, department, assignee=None):
    """A task with an assignee (`camunda:assignee`) is that user's alone, within its role and
    department."""
    return role in user.get("roles", ()) and department == user.get("department") and \
        assignee in (None, user.get("username"))
