"""Production settings that can be checked without a cluster: the store's write concern,
the broker's durability and prefetch, and shutdown within the termination grace period.
(Quorum queues by configuration: test_deployment_files.py.)"""

import mongoengine
import pytest
import yaml
from nameko.amqp.publish import Publisher
from nameko.containers import ServiceContainer

from services.common.config import load_settings
from services.common.db import connect_service_db
from tests.unit.deploy.test_deployment_files import (
    COMPOSE_FILE,
    DOCKERFILE,
    container_environment,
    dockerfile_instructions,
    k8s_objects,
)

PRODUCTION = {
    "APP_ENV": "production",
    "TOKEN_SECRET": "p" * 64,
    "MONGO_URI": "mongodb://mongo-0.mongo-svc:27017,mongo-1.mongo-svc:27017/?replicaSet=mongo",
}


@pytest.fixture
def disconnect():
    aliases = []
    yield aliases.append
    for alias in aliases:
        mongoengine.disconnect(alias)


def test_production_writes_wait_for_a_majority_and_are_retried(disconnect):
    """pymongo connects lazily: the settings are checked without a server."""
    disconnect("deploy_check_production")
    client = connect_service_db(load_settings(environ=PRODUCTION), "deploy_check_production")
    assert client.write_concern.document == {"w": "majority", "j": True}
    assert client.options.retry_writes is True
    assert client.options.replica_set_name == "mongo"


def test_the_embedded_store_keeps_the_plain_write_concern(disconnect):
    """NX-27017 is one server: no replica set to wait for."""
    disconnect("deploy_check_demo")
    client = connect_service_db(load_settings(environ={}), "deploy_check_demo")
    assert client.write_concern.document == {}


def test_service_messages_are_confirmed_and_persistent():
    """nameko publishes replies and events with publisher confirms, persistent (the
    gateway's client does the same: tests/unit/gateway)."""
    assert Publisher.use_confirms is True
    assert Publisher.delivery_mode == 2  # PERSISTENT


def test_consumer_prefetch_is_the_worker_pool():
    """A replica takes at most as many messages as it has workers (nameko's default
    10): the rest stay in the queue for the other replicas, and a replica that dies
    hands back at most that many."""

    class Probe:
        name = "probe"

    container = ServiceContainer(Probe, load_settings(environ=PRODUCTION))
    assert container.max_workers == 10


def grace_period(name):
    return k8s_objects("Deployment")[name]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]


def test_the_gateway_drains_within_its_termination_grace_period():
    gateway = k8s_objects("Deployment")["gateway"]["spec"]["template"]["spec"]["containers"][0]
    command = gateway["command"]
    graceful = int(command[command.index("--graceful-timeout") + 1])
    pre_stop = int(gateway["lifecycle"]["preStop"]["exec"]["command"][1])
    assert pre_stop + graceful < grace_period("gateway")
    image_command = yaml.safe_load(next(args for op, args in dockerfile_instructions() if op == "CMD"))
    assert image_command == command, "image and Deployment run the gateway alike"
    assert "--graceful-timeout" in DOCKERFILE.read_text()


def test_services_finish_their_rpc_calls_within_the_grace_period():
    """nameko stops consuming on SIGTERM and waits for its workers; a caller gives up
    after RPC_TIMEOUT_SECONDS, so no worker needs longer than that."""
    for name, deployment in k8s_objects("Deployment").items():
        timeout = float(container_environment(deployment)["RPC_TIMEOUT_SECONDS"])
        assert timeout * 2 <= grace_period(name), name
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    for name in ("intake", "gateway"):
        assert compose["services"][name]["stop_grace_period"] == f"{grace_period(name)}s"


def test_the_ingress_outlasts_a_queue_board_stream():
    ingress = k8s_objects("Ingress")["gateway"]["metadata"]["annotations"]
    stream = int(k8s_objects("ConfigMap")["hall-config"]["data"]["QUEUE_STREAM_SECONDS"])
    assert int(ingress["nginx.ingress.kubernetes.io/proxy-read-timeout"]) > stream
    assert ingress["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
