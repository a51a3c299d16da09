"""The hall's staff roster as the approval service knows it: who holds which roles in which
department. The gateway owns the staff accounts; it sends the whole roster when it starts and
each account when it changes (``sync``). The roster only decides whether a task has anyone to
do it (``roles.no_one_reason``); who may work on a task is still checked from the caller's token."""
from services.approval import models


class StaffDirectory:
    def known(self):
        """Whether the gateway has sent a roster at all."""
        return models.StaffMember.objects.only("username").first() is not None

    def exists(self, username):
        return models.StaffMember.objects(username=username, active=True).only("username").first() is not None

    def holds(self, username, role, department):
        return models.StaffMember.objects(username=username, roles=role, department=department,
                                          active=True).only("username").first() is not None

    def any_holder(self, role, department):
        return models.StaffMember.objects(roles=role, department=department,
                                          active=True).only("username").first() is not None


def sync(members, complete=False):
    """Store the staff ``members`` (``{username, roles, department, active}``); with
    ``complete`` they are the whole roster and anyone else is no longer staff. Returns how
    many members are active."""
    for member in members:
        models.StaffMember.objects(username=member["username"]).update_one(
            upsert=True, set__roles=sorted(set(member.get("roles") or ())), set__department=member.get("department"),
            set__active=bool(member.get("active", True)))
    if complete:
        models.StaffMember.objects(username__nin=[m["username"] for m in members]).update(set__active=False)
    return models.StaffMember.objects(active=True).count()
