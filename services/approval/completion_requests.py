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

import mongoengine as me

from services.approval import models
from services.common.errors import Conflict

WAIT_FOR_FIRST_SECONDS = 5.0
POLL_SECONDS = 0.05
# A reservation without an answer this old belongs to a completion that died half-way.
ABANDONED_AFTER = timedelta(seconds=60)


def complete_once(user, task_id, request_id, now, complete):
    """``complete()`` once per (user, request id); returns its answer, or the first answer."""
    if not request_id:
        return complete()
    key = f"{user['username']}:{request_id}"
    deadline = time.monotonic() + WAIT_FOR_FIRST_SECONDS
    while True:
        try:
            models.CompletionRequest(key=key, task_id=task_id, started_at=now).save(force_insert=True)
            break
        except me.NotUniqueError:
            first = models.CompletionRequest.objects(key=key).first()
        if first is None:
            continue  # the first attempt failed and freed the id: this one runs
        if first.task_id != task_id:
            raise Conflict(f"the request id was already used to complete task {first.task_id}")
        if first.answer:
            return first.answer
        if now - first.started_at > ABANDONED_AFTER or time.monotonic() > deadline:
            raise Conflict("a completion with this request id is still running or was interrupted; "
                           "look at the task before sending it again")
        time.sleep(POLL_SECONDS)
    try:
        answer = complete()
    except Exception:
        models.CompletionRequest.objects(key=key).delete()
        raise
    models.CompletionRequest.objects(key=key).update_one(set__answer=answer)
    return answer
