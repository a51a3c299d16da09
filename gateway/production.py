"""What production mode refuses (``APP_ENV=production``): the gateway does not start while
anything of the demo setting is left, and names every fault at once so that one restart
fixes them all. Secrets can come from files (``TOKEN_SECRET_FILE`` …, read by
``services.common.config``), the usual way of mounting them in containers.

Production also needs someone who can sign in: once the settings are fit, the store is read
and the first start creates the ``admin`` staff account from ``ADMIN_PASSWORD`` (or
``ADMIN_PASSWORD_FILE``); a start with neither an enabled admin account nor that password
refuses. Later starts ignore the password while an enabled admin exists."""

import logging

from services.common.config import DEFAULTS, is_demo

log = logging.getLogger(__name__)

MIN_SECRET_LENGTH = 32
MIN_PASSWORD_LENGTH = 12  # of every staff password, the first admin's too
NO_ADMIN = (
    "no enabled admin account exists and ADMIN_PASSWORD (or ADMIN_PASSWORD_FILE) is not set: "
    "give the first admin's password once (docs/operations.md)"
)
DEBUG_VARIABLES = ("FLASK_DEBUG", "FLASK_ENV")
DEMO_VARIABLES = ("DEMO_PASSWORD",)


class UnsafeProduction(RuntimeError):
    def __init__(self, faults):
        super().__init__("APP_ENV=production refuses to start: " + "; ".join(faults))
        self.faults = faults


def _demo_bank_secrets(settings):
    demo = set(filter(None, DEFAULTS["BANK_SECRETS"].split(",")))
    given = {entry.strip() for entry in settings["BANK_SECRETS"].split(",")}
    return sorted(entry.partition(":")[0] for entry in demo & given)


def faults(settings, environ):
    """Why ``settings`` (with the process ``environ``) are not fit for production; empty when they are."""
    if is_demo(settings):
        return []
    found = []
    secret = settings["TOKEN_SECRET"]
    if secret == DEFAULTS["TOKEN_SECRET"]:
        found.append("TOKEN_SECRET is the public demo secret")
    elif len(secret) < MIN_SECRET_LENGTH:
        found.append(f"TOKEN_SECRET is shorter than {MIN_SECRET_LENGTH} characters")
    for bank in _demo_bank_secrets(settings):
        found.append(f"BANK_SECRETS holds the public demo secret of {bank} (set BANK_SECRETS, empty for no bank)")
    found += [
        f"{name} is set: demo users never exist in production"
        for name in DEMO_VARIABLES
        if name in environ or f"{name}_FILE" in environ
    ]
    found += [
        f"{name}={environ[name]!r} turns on debugging"
        for name in DEBUG_VARIABLES
        if environ.get(name, "").lower() not in ("", "0", "false", "production")
    ]
    if settings.get("DEBUG"):
        found.append("DEBUG is on")
    if settings["ADMIN_PASSWORD"] and len(settings["ADMIN_PASSWORD"]) < MIN_PASSWORD_LENGTH:
        found.append(f"ADMIN_PASSWORD is shorter than {MIN_PASSWORD_LENGTH} characters")
    if "guest:guest@" in settings["AMQP_URI"]:
        found.append("AMQP_URI uses RabbitMQ's default guest account")
    return found


def refuse_unsafe(settings, environ):
    found = faults(settings, environ)
    if found:
        raise UnsafeProduction(found)


def refuse_without_admin(accounts, settings):
    """Creates the first admin from ``ADMIN_PASSWORD`` when none exists; refuses to start
    in production without an enabled admin account."""
    if is_demo(settings):
        return
    if settings["ADMIN_PASSWORD"] and accounts.create_first_admin(settings["ADMIN_PASSWORD"]):
        log.warning("created the first admin account 'admin' from ADMIN_PASSWORD: remove that setting now")
    if not accounts.has_admin():
        raise UnsafeProduction([NO_ADMIN])
