"""Idempotent task completion, on the platform's one rule (``services.common.idempotency``),
with the answer written where a crash cannot separate it from the completion: in the step's
compare-and-set, inside the instance's outbox (``instances.py``), from where it reaches the
request log before the step's record is stored. So a retry after a timeout or a killed replica
finds the first answer in the log or in the outbox; when neither has it once the first
attempt's lease ran out, the completion never saved and runs again (the compare-and-set lets
only one attempt complete the task, and a loser finds the winner's answer)."""

from services.approval.instances import answer_in_outbox


def complete_once(requests, request, task_id, complete):
    """``complete(request key or None)`` once per request (``{"key", "fingerprint"}`` or None)."""
    if not request:
        return complete(None)
    return requests.once(
        request, lambda: complete(request["key"]), outcome=lambda: saved_answer(requests, request["key"], task_id)
    )


def saved_answer(requests, key, task_id):
    """The answer a saved completion left for ``key``: in the request log, or still in the
    outbox of the task's instance; None when no completion with this key saved."""
    in_outbox = answer_in_outbox(task_id, key)
    return in_outbox if in_outbox is not None else requests.answer(key)
