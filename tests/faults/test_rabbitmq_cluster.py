"""The production broker, proven here: the platform on a cluster of three RabbitMQ nodes
(``rabbit_cluster``), each on its own loopback address as on a host of its own, with its queues as quorum queues on all three, connected through an
``AMQP_URI`` that lists the three nodes. While cases, payments and queue calls run through
the gateway (``hall_traffic``), the node the platform is connected to is killed with SIGKILL
and stays down: the services and the gateway move to the other two, the queues elect new
leaders there, and nothing is lost or done twice.

Runs in ``make faults`` (``make cluster-test`` alone): three RabbitMQ nodes are too heavy for
``make test``; ``RABBITMQ_CLUSTER_TEST=1`` turns it on, ``CLUSTER_CASES`` sets the run (60).
"""

import os
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest

from stack.platform import Platform
from tests.faults.hall_traffic import Traffic
from tests.faults.rabbit_cluster import RabbitCluster
from tests.faults.running_hall import REPO_ROOT, listening_sockets, socket_inodes
from tests.waiting import eventually

CASES = int(os.environ.get("CLUSTER_CASES", "60"))
pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("RABBITMQ_CLUSTER_TEST"), reason="three RabbitMQ nodes: make faults or make cluster-test"
    ),
    pytest.mark.timeout(900 + 20 * CASES),
]
SERVICE_QUEUES = ("rpc-intake", "rpc-approval", "rpc-queue", "rpc-payment", "rpc-monitor")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    return RabbitCluster(tmp_path_factory.mktemp("cluster"))


@pytest.fixture(scope="module")
def platform(cluster, tmp_path_factory):
    running = Platform(
        tmp_path_factory.mktemp("on-cluster"),
        broker=cluster,
        env={"APP_ENV": "demo", "DEMO_PASSWORD": "demo", "RATE_LIMIT_PER_MINUTE": "1000000"},
    )
    running.start(timeout=180)
    yield running
    running.stop()


def test_each_node_listens_on_its_own_address_only(platform, cluster):
    """AMQP and Erlang distribution at the node's address; the shared epmd at the three (and
    at loopback's 127.0.0.1 and ::1, which epmd always adds: the VMs register there)."""
    sockets = listening_sockets()
    for node in cluster.nodes:
        bound = {sockets[inode] for inode in socket_inodes(cluster.vm_pid(node)) if inode in sockets}
        assert bound == {(node.host, node.port), (node.host, node.dist_port)}, (node.nodename, bound)
    epmd = {address for address, port in sockets.values() if port == cluster.nodes[0].epmd_port}
    assert epmd == {node.host for node in cluster.nodes} | {"127.0.0.1", "::1"}
    given = [urlsplit(uri).hostname for uri in platform.environment()["AMQP_URI"].split(";")]
    assert given == [node.host for node in cluster.nodes]  # the platform is given the three nodes


def test_the_platform_runs_on_quorum_queues_replicated_on_the_three_nodes(platform, cluster):
    first = cluster.nodes[0]
    assert cluster.running_nodes(first) == {node.nodename for node in cluster.nodes}
    queues = cluster.queues(first)
    lasting = {
        name: queue
        for name, queue in queues.items()
        if queue["durable"] == "true" and queue["auto_delete"] == "false" and queue["exclusive"] != "true"
    }
    assert set(SERVICE_QUEUES) <= set(lasting)
    assert any(name.startswith("evt-") for name in lasting)
    for name, queue in lasting.items():  # every request and event queue of the services
        assert queue["type"] == "quorum", (name, queue)
        assert all(node.nodename in queue["members"] for node in cluster.nodes), (name, queue)
    transient = {queue["type"] for name, queue in queues.items() if name not in lasting}
    assert transient == {"classic"}  # reply queues, broadcast queues: they live with their consumer


def test_a_node_cut_off_mid_run_loses_nothing_and_doubles_nothing(platform, cluster, capsys):
    first, survivors = cluster.nodes[0], cluster.nodes[1:]
    assert cluster.connections(first)[first.nodename] > 0  # the platform is on the first node it lists
    traffic = Traffic(platform.gateway_url, platform.store.mongo_uri, REPO_ROOT).prepare()
    driver = threading.Thread(target=traffic.run_cases, args=(CASES,), daemon=True)
    started = time.monotonic()
    driver.start()
    eventually(lambda: traffic.done >= CASES // 3 or not driver.is_alive(), "a third of the cases", timeout=600)

    cut_at = time.monotonic()
    done_before = traffic.done
    cluster.cut_off(first)
    eventually(lambda: traffic.done > done_before, "a case done after the cut", timeout=300)
    first_case_after = time.monotonic() - cut_at
    driver.join(timeout=1800)
    assert not driver.is_alive(), "the traffic did not finish"
    traffic.drain_windows()
    checks = traffic.verify()
    traffic.close()
    on_survivors = cluster.connections(survivors[0])
    queues = cluster.queues(survivors[0])

    with capsys.disabled():
        print(
            f"\n{CASES} cases, {len(traffic.called)} queue calls on three nodes, the first cut off after "
            f"{cut_at - started:.0f} s: a case done {first_case_after:.1f} s after the cut; "
            f"{len(traffic.server_errors)} 5xx answers {dict(Counter(e[3] for e in traffic.server_errors))}; "
            f"connections now {on_survivors}"
        )
    assert {check: found for check, found in checks.items() if found} == {}
    assert len(traffic.cases) == CASES
    assert traffic.bad_server_errors() == []
    assert cluster.running_nodes(survivors[0]) == {node.nodename for node in survivors}
    assert sum(on_survivors.values()) > 0 and on_survivors[first.nodename] == 0
    for name in SERVICE_QUEUES:
        assert queues[name]["leader"] in {node.nodename for node in survivors}, (name, queues[name])
