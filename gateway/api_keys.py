"""API keys for department systems: scoped to one department and a set of roles
(permissions), shown once, stored hashed, expiring, revocable.

They live in the gateway's own small collection ``<MONGO_DB_PREFIX>_gateway.api_keys``
(pymongo, no service involved), so every gateway replica sees a key at once and a
revocation takes effect on the next request. A key is ``hk_<key id>_<secret>``: the id
finds the document by ``_id``; the secret (256 random bits) is kept only as its SHA-256,
which is enough for a random secret (no password to guess, so no slow hash is needed).
A request with a key acts as ``api-key:<key id>`` of its department: that is the name
services record in their audit trails, and the gateway's log names the department too.
"""

import hashlib
import secrets
import time

from pymongo import MongoClient

from services.common import constant_time

# Roles a key may carry: what a department's system does; never admin or designer.
GRANTABLE_ROLES = ("clerk", "reviewer", "chief", "cashier", "window", "supervisor")
PREFIX = "hk_"


def _digest(secret):
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now_ms():
    return int(time.time() * 1000)


def _view(document):
    return {
        "key_id": document["_id"],
        "name": document["name"],
        "department": document["department"],
        "permissions": document["permissions"],
        "created_by": document["created_by"],
        "created_at": _iso(document["created_at"]),
        "expires_at": _iso(document["expires_at"]),
        "revoked_at": _iso(document.get("revoked_at")),
    }


def _iso(ms):
    if ms is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))


class ApiKeys:
    def __init__(self, collection):
        self.collection = collection

    @classmethod
    def from_settings(cls, settings):
        client = MongoClient(settings["MONGO_URI"], connect=False, serverSelectionTimeoutMS=3000)
        return cls(client[f"{settings['MONGO_DB_PREFIX']}_gateway"]["api_keys"])

    def create(self, name, department, permissions, expires_in_days, created_by):
        """``(view, key)``: the key itself is in this answer only."""
        key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        now = _now_ms()
        document = {
            "_id": key_id,
            "secret_sha256": _digest(secret),
            "name": name,
            "department": department,
            "permissions": sorted(set(permissions)),
            "created_by": created_by,
            "created_at": now,
            "expires_at": now + expires_in_days * 86_400_000,
            "revoked_at": None,
        }
        self.collection.insert_one(document)
        return _view(document), f"{PREFIX}{key_id}_{secret}"

    def listing(self):
        return [_view(d) for d in self.collection.find({}, {"secret_sha256": 0})]

    def revoke(self, key_id):
        """The key's view after revocation, or None when there is no such key."""
        self.collection.update_one({"_id": key_id, "revoked_at": None}, {"$set": {"revoked_at": _now_ms()}})
        document = self.collection.find_one({"_id": key_id})
        return _view(document) if document else None

    def principal(self, key, now_ms=None):
        """The caller a valid key stands for, or None (unknown, wrong, expired or revoked alike)."""
        key_id, _, secret = key.removeprefix(PREFIX).partition("_")
        if not key.startswith(PREFIX) or not key_id or not secret:
            return None
        document = self.collection.find_one({"_id": key_id})
        if document is None or not constant_time.equal(_digest(secret), document["secret_sha256"]):
            return None
        if document.get("revoked_at") is not None or document["expires_at"] <= (now_ms or _now_ms()):
            return None
        return {
            "username": f"api-key:{key_id}",
            "roles": list(document["permissions"]),
            "department": document["department"],
        }
