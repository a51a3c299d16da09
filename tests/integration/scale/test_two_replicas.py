"""Scale-out, proven on this machine: two replicas of every service, each a separate
process started as production starts it (``python -m services.common.runner``), on the
same broker and store. Replicas only add consumers on the same queues, so the proofs are:
RPC calls spread over both, each event is handled by one replica, each timer fires
once, no process instance is advanced twice, and a replica killed with SIGKILL in the
middle of the work loses nothing (its unacknowledged messages go to the other one).

The tests run in file order on one set of replicas; the last one kills some.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import eventlet
import pymongo
import pytest
from kombu import Connection
from prometheus_client.parser import text_string_to_metric_families

from gateway.rpc import RemoteError, RpcClient, RpcError
from services.common import SERVICES
from stack.ports import free_port, wait_for_port

REPO_ROOT = Path(__file__).resolve().parents[3]
PREFIX = "scale"
PERSON = {"kind": "person", "name": "张三", "id_number": "11010519491231002X"}
APPLICATION = {"item_code": "MR-001", "applicant": PERSON, "materials": ["application_form", "id_card"]}
CLERK = {"username": "clerk", "roles": ["clerk"], "department": "hall"}
# A reminder one second after a case reaches the intake window, once (non-interrupting).
REMINDER = (
    '<bpmn:boundaryEvent id="remind" attachedToRef="accept" cancelActivity="false">'
    "<bpmn:outgoing>Flow_remind</bpmn:outgoing><bpmn:timerEventDefinition>"
    '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT1S</bpmn:timeDuration>'
    "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    '<bpmn:endEvent id="reminded"><bpmn:incoming>Flow_remind</bpmn:incoming></bpmn:endEvent>'
    '<bpmn:sequenceFlow id="Flow_remind" sourceRef="remind" targetRef="reminded" />'
)
WAIT_SECONDS = 60


class Replica:
    def __init__(self, service, index, env, log_dir):
        self.service, self.index = service, index
        self.metrics_port = free_port()
        with open(log_dir / f"{service}-{index}.log", "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "services.common.runner", f"services.{service}.service"],
                cwd=REPO_ROOT,
                env={**env, "METRICS_PORT": str(self.metrics_port)},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def calls(self, method):
        """How many calls of ``method`` this replica has finished (its own /metrics)."""
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as answer:
            text = answer.read().decode()
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == "hall_entrypoint_calls_total" and sample.labels["method"] == method
        )

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_until(condition, what):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        eventlet.sleep(0.2)
    pytest.fail(f"not within {WAIT_SECONDS} s: {what}")


@pytest.fixture(scope="module")
def hall(broker, store, tmp_path_factory):
    client = pymongo.MongoClient(store.mongo_uri)
    for service in SERVICES:
        client.drop_database(f"{PREFIX}_{service}")
    with Connection(broker.amqp_uri) as connection:
        channel = connection.channel()
        for queue in broker_queue_names(broker):
            if queue.startswith("evt-"):
                channel.queue_purge(queue)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "AMQP_URI": broker.amqp_uri,
        "MONGO_URI": store.mongo_uri,
        "MONGO_DB_PREFIX": PREFIX,
        "APP_ENV": "demo",
        "BPMN_DIR": str(REPO_ROOT / "bpmn"),
        "CATALOG_DIR": str(REPO_ROOT / "catalog"),
    }
    log_dir = tmp_path_factory.mktemp("replicas")
    replicas = {service: [Replica(service, i, env, log_dir) for i in (1, 2)] for service in SERVICES}
    rpc = RpcClient(broker.amqp_uri, timeout=30)
    try:
        for replica in (r for pair in replicas.values() for r in pair):
            wait_for_port(replica.metrics_port, WAIT_SECONDS, f"{replica.service}-{replica.index}", replica.process)
        for service in SERVICES:
            wait_until(lambda: _answers(rpc, service), f"{service} answers")
        yield Hall(replicas, rpc, client[f"{PREFIX}_approval"], client[f"{PREFIX}_intake"])
    finally:
        for replica in (r for pair in replicas.values() for r in pair):
            replica.stop()
        rpc.close()
        client.close()


def broker_queue_names(broker):
    result = broker._ctl("list_queues", "name", "--quiet", "--no-table-headers")
    assert result.returncode == 0, result.stderr
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


def _answers(rpc, service):
    try:
        return rpc.call(service, "ping", timeout=2) == "pong"
    except RpcError:
        return False


class Hall:
    def __init__(self, replicas, rpc, approval_db, intake_db):
        self.replicas, self.rpc, self.approval_db, self.intake_db = replicas, rpc, approval_db, intake_db

    def calls(self, service, method):
        return [replica.calls(method) for replica in self.replicas[service]]

    def at_once(self, count, call):
        """``count`` calls at once from green threads (one broker link each)."""
        return [thread.wait() for thread in [eventlet.spawn(call, i) for i in range(count)]]

    def submit(self, key):
        """Submit with a key, as a client does: while the first attempt of a retried request is
        still taken for running (its replica was killed), the answer says to send it again later."""
        request = {"key": f"anonymous:scale-{key}", "fingerprint": f"scale-{key}"}
        for _ in range(60):
            try:
                return self.rpc.call("intake", "submit_case", APPLICATION, idempotency=request)
            except RemoteError as refused:
                if "RequestInProgress" not in str(refused):
                    raise
                time.sleep(1)
        raise AssertionError(f"case {key} was still in progress after a minute")

    def audit(self, case_nos, kind):
        """The audit entries of ``kind`` the cases' step records hold."""
        return [
            entry
            for record in self.approval_db.steps.find({"case_no": {"$in": case_nos}})
            for entry in json.loads(record["body"])["audit"]
            if entry["kind"] == kind
        ]

    def open_tasks(self, case_nos, element_id):
        return [
            task
            for instance in self.approval_db.process_instances.find({"case_no": {"$in": case_nos}})
            for task in instance.get("open_tasks", [])
            if task["element_id"] == element_id
        ]


def test_rpc_calls_spread_over_both_replicas_of_every_service(hall):
    for service in SERVICES:
        before = hall.calls(service, "ping")
        assert hall.at_once(40, lambda _: hall.rpc.call(service, "ping")) == ["pong"] * 40
        wait_until(lambda: sum(hall.calls(service, "ping")) - sum(before) >= 40, "every call is counted")
        served = [after - earlier for after, earlier in zip(hall.calls(service, "ping"), before)]
        assert sum(served) == 40, (service, served)
        assert all(count > 0 for count in served), f"{service}: one replica got every call: {served}"


def test_each_event_is_handled_by_one_replica_and_each_timer_fires_once(hall):
    xml = (REPO_ROOT / "bpmn" / "immediate_item.bpmn").read_text(encoding="utf-8")
    hall.rpc.call(
        "approval",
        "deploy_process",
        xml.replace("</bpmn:laneSet>", "</bpmn:laneSet>" + REMINDER),
        "immediate_item.bpmn",
    )
    before = sum(hall.calls("approval", "on_case_submitted"))

    cases = [case["case_no"] for case in hall.at_once(20, lambda i: hall.submit(f"event-{i}"))]

    assert len(set(cases)) == 20
    wait_until(
        lambda: hall.approval_db.process_instances.count_documents({"case_no": {"$in": cases}}) == 20,
        "every case has its process instance",
    )
    # A replica counts a handled event when its worker ends, just after the instance is stored.
    wait_until(lambda: sum(hall.calls("approval", "on_case_submitted")) - before >= 20, "every event is counted")
    handled = [count for count in hall.calls("approval", "on_case_submitted")]
    assert sum(handled) - before == 20, handled
    assert all(count > 0 for count in handled), f"one replica handled every event: {handled}"
    wait_until(lambda: len(hall.audit(cases, "timer_fired")) >= 20, "every reminder fired")
    eventlet.sleep(2)  # a second firing, if any, would be due by now
    fired = sorted(entry["case_no"] for entry in hall.audit(cases, "timer_fired"))
    assert fired == sorted(cases), "a timer fired twice or not at all"


def test_two_replicas_completing_the_same_tasks_advance_each_instance_once(hall):
    cases = [hall.submit(f"race-{i}")["case_no"] for i in range(5)]
    wait_until(lambda: len(hall.open_tasks(cases, "accept")) == 5, "the cases wait at the intake window")
    tasks = [task["task_id"] for task in hall.open_tasks(cases, "accept")]
    before = hall.calls("approval", "complete_task")

    def complete(i):
        try:
            hall.rpc.call("approval", "complete_task", tasks[i % 5], {"intake_decision": "accept"}, CLERK)
            return "completed"
        except RemoteError as refused:
            return refused.exc_type

    outcomes = hall.at_once(20, complete)

    assert sorted(outcomes) == ["Conflict"] * 15 + ["completed"] * 5
    # A replica counts a call when its worker ends: after the reply and the call's events.
    wait_until(lambda: sum(hall.calls("approval", "complete_task")) - sum(before) >= 20, "every call is counted")
    served = [after - earlier for after, earlier in zip(hall.calls("approval", "complete_task"), before)]
    assert sum(served) == 20 and all(count > 0 for count in served), served
    completed = hall.audit(cases, "task_completed")
    assert sorted(entry["case_no"] for entry in completed if entry["element_id"] == "accept") == sorted(cases)


def test_a_replica_killed_mid_run_loses_nothing(hall):
    """SIGKILL one replica of intake and one of approval while applications come in:
    every call is answered, every case is stored once and gets one process instance."""
    answers = []

    def submit(i):
        answers.append(hall.submit(f"kill-{i}")["case_no"])

    threads = [eventlet.spawn(submit, i) for i in range(30)]
    wait_until(lambda: len(answers) >= 5, "the first applications are answered")
    hall.replicas["intake"][0].kill()
    hall.replicas["approval"][0].kill()
    for thread in threads:
        thread.wait()

    assert len(answers) == 30 and len(set(answers)) == 30
    keys = [f"anonymous:scale-kill-{i}" for i in range(30)]
    assert hall.intake_db.cases.count_documents({"idempotency_key": {"$in": keys}}) == 30
    wait_until(
        lambda: hall.approval_db.process_instances.count_documents({"case_no": {"$in": answers}}) == 30,
        "every case has its process instance",
    )
    assert hall.approval_db.process_instances.count_documents({"case_no": {"$in": answers}}) == 30


def test_two_intake_replicas_starting_on_an_empty_store_seed_the_catalog_once(hall):
    seeded = [c["code"] for c in hall.intake_db.catalog_changes.find({"action": "seeded"}, {"code": 1})]
    assert len(seeded) == len(set(seeded)) == hall.intake_db.catalog_items.count_documents({}) >= 30
    assert hall.intake_db.catalog_item_versions.count_documents({}) == len(seeded)
