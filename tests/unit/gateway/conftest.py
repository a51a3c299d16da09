"""Gateway fixtures: the Flask app with a fake RPC client in place of the broker."""

import copy
import threading
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from pymongo.errors import DuplicateKeyError

from gateway import create_app
from gateway.api_keys import ApiKeys
from gateway.staff_accounts import StaffAccounts
from services.common.idempotency import COLLECTION, RequestLog

TOKEN_SECRET = "unit-test-token-secret-0123456789abcdef"
DEMO_PASSWORD = "demo"


@dataclass
class Call:
    service: str
    method: str
    args: tuple
    kwargs: dict
    timeout: float | None


@dataclass
class FakeRpc:
    """Records every call; answers what a test set up with ``answer`` (a value, an
    exception to raise, or a function of the call's arguments)."""

    calls: list = field(default_factory=list)
    answers: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, service, method, result=None, *, raises=None, using=None):
        self.answers[(service, method)] = (result, raises, using)

    def call(self, service, method, *args, timeout=None, **kwargs):
        with self.lock:
            self.calls.append(Call(service, method, args, kwargs, timeout))
        if (service, method) not in self.answers:
            raise AssertionError(f"no answer set up for {service}.{method}")
        result, raises, using = self.answers[(service, method)]
        if raises is not None:
            raise raises
        if using is not None:
            return using(*args, **kwargs)
        return copy.deepcopy(result)

    def calls_to(self, service, method):
        return [c for c in self.calls if (c.service, c.method) == (service, method)]


def _matches(value, condition):
    if isinstance(condition, dict) and "$lt" in condition:
        return value is not None and value < condition["$lt"]
    return value == condition


class MemoryCollection:
    """The few pymongo collection calls ``gateway.api_keys``, ``gateway.staff_accounts`` and the
    gateway's request log (``services.common.idempotency``) make, in memory (equality and
    ``$lt`` filters, a unique ``_id``)."""

    def __init__(self):
        self.documents = {}
        self.lock = threading.Lock()

    def _matching(self, query):
        return [d for d in self.documents.values() if all(_matches(d.get(k), v) for k, v in query.items())]

    def insert_one(self, document):
        with self.lock:
            if document["_id"] in self.documents:
                raise DuplicateKeyError(f"E11000 duplicate key: {document['_id']}")
            self.documents[document["_id"]] = copy.deepcopy(document)

    def find(self, query, projection=None):
        return [copy.deepcopy(d) for d in self._matching(query)]

    def find_one(self, query, projection=None):
        found = self._matching(query)
        return copy.deepcopy(found[0]) if found else None

    def update_one(self, query, update):
        with self.lock:
            found = self._matching(query)[:1]
            for document in found:
                document.update(copy.deepcopy(update["$set"]))
        return SimpleNamespace(modified_count=len(found))

    def delete_one(self, query):
        with self.lock:
            for document in self._matching(query)[:1]:
                del self.documents[document["_id"]]

    def delete_many(self, query):
        with self.lock:
            for document in self._matching(query):
                del self.documents[document["_id"]]

    def find_one_and_update(self, query, update, return_document):
        """``$set`` and ``$inc``, answering the document after the update (as pymongo's
        ``ReturnDocument.AFTER``, the only way the gateway asks)."""
        for document in self._matching(query)[:1]:
            document.update(update.get("$set", {}))
            for key, step in update.get("$inc", {}).items():
                document[key] = document.get(key, 0) + step
            return copy.deepcopy(document)
        return None


@pytest.fixture
def fake_rpc():
    rpc = FakeRpc()
    rpc.answer("approval", "sync_staff", {"active": 1})  # a staff account changed (gateway/staff_roster.py)
    return rpc


@pytest.fixture
def app_config(fake_rpc):
    return {
        "TESTING": True,
        "RPC_CLIENT": fake_rpc,
        "TOKEN_SECRET": TOKEN_SECRET,
        "TOKEN_TTL_SECONDS": 600,
        "APP_ENV": "demo",
        "DEMO_PASSWORD": DEMO_PASSWORD,
        "AMQP_URI": "amqp://hall:unit-test@127.0.0.1:5672/",  # the fake client never connects
        "API_KEYS": ApiKeys(MemoryCollection()),
        "STAFF_ACCOUNTS": StaffAccounts(MemoryCollection(), MemoryCollection()),
        "REQUEST_LOG": RequestLog({COLLECTION: MemoryCollection()}),
        "STORE_PROBE": lambda: True,  # the store answers (tests/unit/gateway/test_health.py)
        "ADMIN_PASSWORD": "unit-test-first-admin",
    }  # production mode's first admin (ignored in demo)


@pytest.fixture
def app(app_config):
    return create_app(app_config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(client):
    """``login("clerk")`` -> a bearer token from POST /api/v1/auth/token."""

    def log_in(username, password=DEMO_PASSWORD):
        response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]

    return log_in


@pytest.fixture
def bearer(login):
    """``bearer("clerk")`` -> headers that carry the demo user's token."""
    return lambda username: {"Authorization": f"Bearer {login(username)}"}
