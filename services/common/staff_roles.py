"""The roles a person may hold in the hall, and the departments that see all of it. The gateway
gives staff accounts roles from this list; the approval service maps the roles a diagram names
onto it (``services.approval.roles``)."""

STAFF_ROLES = ("clerk", "reviewer", "chief", "cashier", "window", "supervisor", "designer", "admin")
# Departments that work for the whole hall and so see every case, notice and record: the
# intake and bank windows ("hall") and the supervision bureau.
HALL_WIDE_DEPARTMENTS = frozenset({"hall", "supervision"})


def sees_all(viewer):
    return (viewer or {}).get("department") in HALL_WIDE_DEPARTMENTS


def may_see(viewer, department):
    """A hall-wide department sees everything; another one what is its own."""
    return sees_all(viewer) or department == (viewer or {}).get("department")
