"""The roles a person may hold in the hall. The gateway gives staff accounts roles from this
list; the approval service maps the roles a diagram names onto it (``services.approval.roles``)."""
STAFF_ROLES = ("clerk", "reviewer", "chief", "cashier", "window", "supervisor", "designer", "admin")
