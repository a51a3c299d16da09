"""The staff roster the approval service needs to tell whether a task has anyone to do it
(``services/approval/staff.py``): the gateway owns the accounts, so it sends the whole roster
(demo users and stored accounts) when it starts, and each account when an admin changes it.

Sending is best effort: a change the approval service did not receive (it was down) reaches it
with the next complete roster, when a gateway starts."""

import logging
import threading
import time

from gateway.rpc import RpcError, Services

log = logging.getLogger(__name__)

RETRY_SECONDS = 2


def member(view):
    """A roster entry from a staff account's view (or a demo user's)."""
    return {
        "username": view["username"],
        "roles": list(view["roles"]),
        "department": view["department"],
        "active": not view.get("disabled", False),
    }


def roster(users):
    """Every member of staff: the demo users and the stored accounts, enabled or not."""
    accounts = users.accounts.listing() if users.accounts is not None else []
    return [member(view) for view in (*users.demo_views(), *accounts)]


def send(app, members, complete=False):
    """Tell the approval service; False (logged) when it could not be reached."""
    try:
        Services(app.extensions["rpc"]).approval.sync_staff(members, complete=complete)
        return True
    except RpcError as exc:
        log.warning("the staff roster did not reach the approval service: %s", exc)
        return False


def send_complete_in_background(app):
    """Send the whole roster once the approval service answers (it may start after the gateway)."""

    def keep_trying():
        while not send(app, roster(app.extensions["users"]), complete=True):
            time.sleep(RETRY_SECONDS)

    threading.Thread(target=keep_trying, name="staff-roster", daemon=True).start()
