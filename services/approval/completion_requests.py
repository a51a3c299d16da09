"""Idempotent task completion, on the platform's one rule (``services.common.idempotency``),
with the answer written where a crash cannot separate it from the completion: in the step's
compare-and-set, inside the instance's outbox (``instances.py``), from where it reaches the
request log before the outbox is cleared. So a retry after a timeout or a killed replica
finds the first answer in the log or in the outbox; when neither has it once the first
attempt's lease ran out, the completion never saved and runs again (the compare-and-set lets
only one attempt complete the task, and a loser finds the winner's answer)."""
from services.approval import models
from services.approval.instances import Outbox


def complete_once(requests, request, task_id, complete):
    """``complete(request key or None)`` once per request (``{"key", "fingerprint"}`` or None)."""
    if not request:
        return complete(None)
    return requests.once(request, lambda: complete(request["key"]),
                         outcome=lambda: saved_answer(requests, request["key"], task_id))


def saved_answer(requests, key, task_id):
    """The answer a saved completion left for ``key``: in the request log, or still in the
    outbox of the task's instance; None when no completion with this key saved."""
    task = models.OpenTask.objects(task_id=task_id).only("case_no").first() or \
        models.TaskHistory.objects(task_id=task_id).only("case_no").first()
    instance = models.ProcessInstance.objects(case_no=task.case_no).only("outbox", "outbox_pending").first() \
        if task is not None else None
    in_outbox = Outbox.pending(instance).answers.get(key) if instance is not None else None
    return in_outbox if in_outbox is not None else requests.answer(key)
