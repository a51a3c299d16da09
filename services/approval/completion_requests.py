"""Idempotent task completion: a client-supplied request id (the gateway takes it from the
`Idempotency-Key` header or the body's `request_id`) makes a completion safe to repeat.

The request is reserved (insert of a unique key) *before* the completion runs, and its answer
stored after it: a repeat that finds the answer gets it back; a repeat that arrives while the
first is still running waits briefly for it. A completion that fails (invalid data, a task no
longer open) frees the reservation, so the client may correct its data and send the same id
again. Request ids are scoped to the user, so one clerk's id never answers for another.
"""
import time
from datetime import timedelta

from pymongo.errors import DuplicateKeyError

from services.approval import models
from services.common.db import collection_of
from services.common.errors import Conflict
from services.common.fields import from_millis, to_millis

WAIT_FOR_FIRST_SECONDS = 5.0
POLL_SECONDS = 0.05
# A reservation without an answer this old belongs to a completion that died half-way.
ABANDONED_AFTER = timedelta(seconds=60)


def complete_once(user, task_id, request_id, now, complete):
    """``complete()`` once per (user, request id); returns its answer, or the first answer."""
    if not request_id:
        return complete()
    key = f"{user['username']}:{request_id}"
    requests = collection_of(models.CompletionRequest)
    deadline = time.monotonic() + WAIT_FOR_FIRST_SECONDS
    while True:
        try:
            requests.insert_one({"_id": key, "task_id": task_id, "started_at": to_millis(now)})
            break
        except DuplicateKeyError:
            first = requests.find_one({"_id": key})
        if first is None:
            continue  # the first attempt failed and freed the id: this one runs
        if first["task_id"] != task_id:
            raise Conflict(f"the request id was already used to complete task {first['task_id']}")
        if first.get("answer"):
            return first["answer"]
        if now - from_millis(first["started_at"]) > ABANDONED_AFTER or time.monotonic() > deadline:
            raise Conflict("a completion with this request id is still running or was interrupted; "
                           "look at the task before sending it again")
        time.sleep(POLL_SECONDS)
    try:
        answer = complete()
    except Exception:
        requests.delete_one({"_id": key})
        raise
    requests.update_one({"_id": key}, {"$set": {"answer": answer}})
    return answer
