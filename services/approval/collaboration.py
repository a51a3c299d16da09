"""Messages across the instances of one case, held in memory: a designer's test run and the
engine's tests. A message one instance throws goes to an instance that waits for it (by name,
and by spiff-arena's correlation keys), else starts a new instance of a process of the same
collaboration whose message start event catches it, else of the process deployed from another
file that it starts (``definitions.started_by``). The approval service follows the same rule
across stored instances (``instances.py``, through the outbox)."""

from dataclasses import dataclass

from services.approval import bpmn_engine


@dataclass
class Party:
    """One instance of the case: its process and its workflow."""

    process_id: str
    workflow: object
    version: int | None = None  # a process deployed from another file: its version


def exchange(diagram, parties, data, deployed=None):
    """Deliver every message the ``parties`` threw (and those thrown in turn) until none is
    left; new parties, started with ``data`` and the message, are appended to ``parties``.
    ``deployed(name)`` gives ``(key, version, diagram)`` of the process deployed from another
    file that a message no partner catches starts, or None.
    Returns what happened, in order: ``{name, by (process id), to (process id), element_id,
    started}``; a message nobody takes has ``to`` None."""
    moved = []
    pending = [(party, message) for party in parties for message in bpmn_engine.thrown_messages(party.workflow)]
    while pending:
        sender, message = pending.pop(0)
        receiver, element_id, started = _deliver(diagram, parties, message, data, deployed)
        moved.append(
            {
                "name": message["name"],
                "by": sender.process_id,
                "to": receiver and receiver.process_id,
                "element_id": element_id,
                "started": started,
            }
        )
        if receiver is not None:
            pending += [(receiver, thrown) for thrown in bpmn_engine.thrown_messages(receiver.workflow)]
    return moved


def _deliver(diagram, parties, message, data, deployed):
    for party in parties:
        if message["name"] in bpmn_engine.waiting_messages(party.workflow):
            element_id = bpmn_engine.deliver_message(
                party.workflow, message["name"], message["data"], message["correlations"]
            )
            if element_id is not None:
                return party, element_id, False
    partner = starting_partner(diagram, message["name"])
    found = (partner.process_id, None, partner) if partner is not None else deployed and deployed(message["name"])
    if not found:
        return None, None, False
    key, version, started = found
    party = Party(key, bpmn_engine.start_by_message(started, data, message), version)
    parties.append(party)
    return party, bpmn_engine.message_starts(started)[message["name"]], True


def starting_partner(diagram, name):
    """The process of ``diagram``'s collaboration that the message ``name`` starts, or None."""
    return next(
        (partner for _, partner in sorted(diagram.partners.items()) if name in bpmn_engine.message_starts(partner)),
        None,
    )
