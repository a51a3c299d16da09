"""Liveness, readiness, metrics and the OpenAPI document."""

from concurrent.futures import ThreadPoolExecutor

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pymongo import MongoClient
from pymongo.errors import PyMongoError

from gateway.api import rpc
from gateway.problems import problem_response
from gateway.rpc import RpcError
from services.common import SERVICES

PING_TIMEOUT = 2.0
STORE_PING_TIMEOUT_MS = 1000
# One ping per service and one to the store at once, on long-lived threads: each keeps its
# broker link, so a probe every few seconds does not open new connections, and a missing
# service costs PING_TIMEOUT once, not once per service.
_ping_pool = ThreadPoolExecutor(len(SERVICES) + 1, thread_name_prefix="readyz")


class StoreProbe:
    """True when the document store answers a ping within a second. The services answer
    their pings without the store, so readiness asks it directly, on a client of its own
    that watches the server every half second: a store that went away is seen by the next
    probe, one that came back within half a second. Meanwhile the services' calls that need
    it are answered 503 (``gateway.problems``)."""

    def __init__(self, mongo_uri):
        self.client = MongoClient(
            mongo_uri,
            connect=False,
            heartbeatFrequencyMS=500,
            serverSelectionTimeoutMS=STORE_PING_TIMEOUT_MS,
            connectTimeoutMS=STORE_PING_TIMEOUT_MS,
            socketTimeoutMS=STORE_PING_TIMEOUT_MS,
        )

    def __call__(self):
        try:
            return self.client.admin.command("ping").get("ok") == 1
        except PyMongoError:
            return False


bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


def _answers(client, service):
    try:
        return getattr(client, service).ping(timeout=PING_TIMEOUT) == "pong"
    except RpcError:
        return False


@bp.get("/readyz")
def readyz():
    client = rpc()
    store = _ping_pool.submit(current_app.extensions["store_probe"])
    answers = dict(zip(SERVICES, _ping_pool.map(lambda s: _answers(client, s), SERVICES)))
    missing = [s for s, ok in answers.items() if not ok] + ([] if store.result() else ["store"])
    if missing:
        return problem_response(503, "Service unavailable", f"not answering: {', '.join(missing)}")
    return jsonify(status="ready", services=answers, store=True)


@bp.get("/metrics")
def metrics():
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)


@bp.get("/openapi.json")
def openapi():
    return jsonify(current_app.extensions["openapi"])
