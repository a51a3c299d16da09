"""Staff accounts of the hall: the people who sign in (production has no demo users).

They live beside the API keys in the gateway's own database
(``<MONGO_DB_PREFIX>_gateway.staff_accounts``, pymongo, ``_id`` = username): every gateway
replica sees a change at once, and a token is checked against its account by one point
read. Passwords are PBKDF2 hashes (``gateway.auth.hash_password``), never kept in clear.

Admins create accounts (roles from a fixed list, one department), disable them and reset
their passwords; each action names who did it on the account and is appended, with the
request id, to ``staff_account_audit`` (insert only). An account is never deleted: its
name stays in the services' audit trails, so a disabled one keeps it from being reused.

Tokens of a stored account carry its ``generation`` (claim ``gen``), which every password
reset raises; each request with such a token reads the account (one point read, like an API
key) and refuses the token when the account is disabled or its generation has moved on — so
disabling or a reset takes effect on the next request, not when the token expires.
"""

import logging
import time

from bson import ObjectId
from pymongo import MongoClient, ReturnDocument
from pymongo.errors import DuplicateKeyError

from gateway.auth import User, hash_password

log = logging.getLogger(__name__)

FIRST_ADMIN = ("admin", "系统管理员 Administrator", ("admin",), "hall")
BOOTSTRAP = "bootstrap"  # who created the first admin: the start-up, from ADMIN_PASSWORD


def _now_ms():
    return int(time.time() * 1000)


def _iso(ms):
    return None if ms is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))


def _view(document):
    return {
        "username": document["_id"],
        "display_name": document["display_name"],
        "roles": document["roles"],
        "department": document["department"],
        "disabled": document["disabled_at"] is not None,
        "created_by": document["created_by"],
        "created_at": _iso(document["created_at"]),
        "password_set_by": document["password_set_by"],
        "password_set_at": _iso(document["password_set_at"]),
        "disabled_by": document.get("disabled_by"),
        "disabled_at": _iso(document["disabled_at"]),
    }


def _user(document):
    return User(
        document["_id"],
        document["display_name"],
        tuple(document["roles"]),
        document["department"],
        document["password_hash"],
        generation=document["generation"],
    )


class StaffAccounts:
    def __init__(self, accounts, audit):
        self.accounts, self.audit = accounts, audit

    @classmethod
    def from_settings(cls, settings):
        client = MongoClient(settings["MONGO_URI"], connect=False, serverSelectionTimeoutMS=3000)
        database = client[f"{settings['MONGO_DB_PREFIX']}_gateway"]
        return cls(database["staff_accounts"], database["staff_account_audit"])

    def _record(self, action, username, by, request_id):
        self.audit.insert_one(
            {
                "_id": ObjectId(),
                "at": _now_ms(),
                "action": action,
                "username": username,
                "by": by,
                "request_id": request_id,
            }
        )
        log.info("staff account %s: %s by %s", username, action, by)

    def create(self, username, display_name, roles, department, password, by, request_id=None):
        """The new account's view, or None when the username is taken."""
        if self.accounts.find_one({"_id": username}) is not None:
            return None
        now = _now_ms()
        document = {
            "_id": username,
            "display_name": display_name,
            "roles": sorted(set(roles)),
            "department": department,
            "password_hash": hash_password(password),
            "created_by": by,
            "created_at": now,
            "password_set_by": by,
            "password_set_at": now,
            "generation": 1,
            "disabled_at": None,
        }
        try:
            self.accounts.insert_one(document)
        except DuplicateKeyError:
            return None
        self._record("created", username, by, request_id)
        return _view(document)

    def listing(self):
        return sorted((_view(d) for d in self.accounts.find({})), key=lambda view: view["username"])

    def disable(self, username, by, request_id=None):
        """The account's view once disabled, or None when there is no such account.
        Disabling a disabled account changes nothing and records nothing."""
        document = self.accounts.find_one_and_update(
            {"_id": username, "disabled_at": None},
            {"$set": {"disabled_at": _now_ms(), "disabled_by": by}},
            return_document=ReturnDocument.AFTER,
        )
        if document is not None:
            self._record("disabled", username, by, request_id)
            return _view(document)
        document = self.accounts.find_one({"_id": username})
        return None if document is None else _view(document)

    def set_password(self, username, password, by, request_id=None):
        """The account's view with its new password, or None when there is no such account."""
        document = self.accounts.find_one_and_update(
            {"_id": username},
            {
                "$set": {"password_hash": hash_password(password), "password_set_by": by, "password_set_at": _now_ms()},
                "$inc": {"generation": 1},
            },
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            return None
        self._record("password reset", username, by, request_id)
        return _view(document)

    def user(self, username):
        """The enabled account as a ``User`` that may sign in, else None."""
        document = self.accounts.find_one({"_id": username})
        if document is None or document["disabled_at"] is not None:
            return None
        return _user(document)

    def honours(self, username, generation):
        """Whether a token of the account's ``generation`` still stands for it."""
        document = self.accounts.find_one({"_id": username})
        return document is not None and document["disabled_at"] is None and document["generation"] == generation

    def has_admin(self):
        return any("admin" in d["roles"] and d["disabled_at"] is None for d in self.accounts.find({}))

    def create_first_admin(self, password):
        """Unless an enabled admin exists: creates the ``admin`` account, or, when it exists
        disabled, enables it again with this password (the operator's way back in). True
        when it did either."""
        if self.has_admin():
            return False
        username, display_name, roles, department = FIRST_ADMIN
        if self.create(username, display_name, roles, department, password, BOOTSTRAP) is not None:
            return True
        if self.has_admin():
            return False  # another gateway replica, starting at the same time, created it
        if self.set_password(username, password, BOOTSTRAP) is None:
            return False
        self.accounts.update_one(
            {"_id": username}, {"$set": {"disabled_at": None, "disabled_by": None, "roles": list(roles)}}
        )
        self._record("enabled", username, BOOTSTRAP, None)
        return True
