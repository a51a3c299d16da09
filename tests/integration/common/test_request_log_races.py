"""``RequestLog.once`` on the real store with attempts racing on one Idempotency-Key: exactly
one runs its effect; each other one gets the first answer, or, while the first still runs,
``RequestInProgress`` with the seconds to wait."""

import threading
import uuid

import pytest
from pymongo import MongoClient

from services.common import idempotency
from services.common.errors import Conflict, RequestInProgress
from services.common.idempotency import RequestLog


@pytest.fixture
def log(store):
    client = MongoClient(store.mongo_uri)
    yield RequestLog(client["test_request_log"])
    client.drop_database("test_request_log")
    client.close()


def _race(log, request, effect, attempts):
    """Every attempt at once (they start together); the answer or the error of each."""
    start, outcomes = threading.Barrier(attempts), []

    def attempt():
        start.wait()
        try:
            outcomes.append(log.once(request, effect))
        except Exception as error:  # noqa: BLE001 - the outcome under test
            outcomes.append(error)

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_of_attempts_racing_on_one_key_exactly_one_runs_and_the_others_get_its_answer_or_a_409(log):
    runs = []

    def effect():
        runs.append(uuid.uuid4().hex)
        threading.Event().wait(0.2)  # long enough for every other attempt to find the key taken
        return {"run": runs[-1]}

    request = {"key": "caller:clerk:race-0001", "fingerprint": "f" * 64}
    outcomes = _race(log, request, effect, attempts=6)

    assert len(runs) == 1
    first = {"run": runs[0]}
    assert all(o == first or isinstance(o, RequestInProgress) for o in outcomes), outcomes
    assert first in outcomes
    assert log.once(request, effect) == first and len(runs) == 1


def test_a_repeat_while_the_first_attempt_runs_gets_409_with_retry_after_then_the_first_answer(log, monkeypatch):
    monkeypatch.setattr(idempotency, "WAIT_FOR_FIRST_SECONDS", 0.1)
    running, release, runs = threading.Event(), threading.Event(), []

    def slow():
        runs.append("slow")
        running.set()
        release.wait(30)
        return {"completed": True}

    request = {"key": "caller:clerk:race-0002", "fingerprint": "a" * 64}
    answers = []
    first = threading.Thread(target=lambda: answers.append(log.once(request, slow)))
    first.start()
    running.wait(30)

    with pytest.raises(RequestInProgress) as in_progress:
        log.once(request, lambda: runs.append("again"))
    with pytest.raises(Conflict, match="different request"):
        log.once(dict(request, fingerprint="b" * 64), lambda: runs.append("other"))
    release.set()
    first.join()

    assert 1 <= in_progress.value.retry_after <= idempotency.LEASE.total_seconds()
    assert answers == [{"completed": True}] and runs == ["slow"]
    assert log.once(request, lambda: runs.append("late")) == {"completed": True} and runs == ["slow"]
