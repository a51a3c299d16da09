"""Liveness, readiness, metrics and the OpenAPI document."""
from concurrent.futures import ThreadPoolExecutor

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.api import rpc
from gateway.problems import problem_response
from gateway.rpc import RpcError
from gateway.spec import json_response, problem

SERVICES = ("intake", "approval", "queue", "payment", "monitor")
PING_TIMEOUT = 2.0

bp = Blueprint("health", __name__)

PATHS = {
    "/healthz": {"get": {"summary": "Liveness: the gateway process answers.", "tags": ["ops"],
                         "responses": {"200": json_response("Alive.", schema={"type": "object"})}}},
    "/readyz": {"get": {"summary": "Readiness: every service answers an RPC ping.", "tags": ["ops"],
                        "responses": {"200": json_response("All services answer.", schema={"type": "object"}),
                                      "503": problem("Some services do not answer; `detail` names them.")}}},
    "/metrics": {"get": {"summary": "Prometheus metrics of the gateway.", "tags": ["ops"],
                         "responses": {"200": {"description": "Prometheus text format.",
                                               "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
    "/openapi.json": {"get": {"summary": "This document.", "tags": ["ops"],
                              "responses": {"200": json_response("OpenAPI 3.1 document.", schema={"type": "object"})}}},
}


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


def _answers(client, service):
    try:
        return client.call(service, "ping", timeout=PING_TIMEOUT) == "pong"
    except RpcError:
        return False


@bp.get("/readyz")
def readyz():
    client = rpc()
    # Each ping runs on its own thread (and so its own broker link); a slow or missing
    # service costs PING_TIMEOUT once, not once per service.
    with ThreadPoolExecutor(len(SERVICES)) as pool:
        answers = dict(zip(SERVICES, pool.map(lambda s: _answers(client, s), SERVICES)))
    missing = [s for s, ok in answers.items() if not ok]
    if missing:
        return problem_response(503, "Service unavailable", f"not answering: {', '.join(missing)}")
    return jsonify(status="ready", services=answers)


@bp.get("/metrics")
def metrics():
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)


@bp.get("/openapi.json")
def openapi():
    return jsonify(current_app.extensions["openapi"])
