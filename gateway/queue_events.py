"""The queue board's live calls, as the gateway consumes them from the broker and streams them.

The live board (``GET /api/v1/queue/board/stream``, ``text/event-stream``) is pushed, not
polled: each stream owns a pika connection in its own gunicorn thread, with an exclusive
queue bound to the queue service's nameko event exchange (``queue.events``, routing key
``ticket_called``). It subscribes first and then catches up from ``Last-Event-ID`` (or
``?after=``) over RPC, so no call falls in between; the event id is the highest call
sequence number sent so far (calls may arrive out of order, see ``board_events``). A stream
ends after ``QUEUE_STREAM_SECONDS`` (the browser's EventSource reconnects with
``Last-Event-ID``), so screens cannot hold the gateway's threads for ever.

A call caught up from before the last ``SPOKEN_WITHIN_SECONDS`` (by the gateway's clock, so a
screen's own clock does not matter) goes out as event ``missed``, not ``call``: a screen back
from a longer outage shows what it missed but does not read out a backlog of stale calls.
"""

import json
import time
from contextlib import contextmanager
from datetime import datetime, timezone

import pika

from gateway.rpc import broker_parameters
from services.common.contracts.events import TICKET_CALLED

STREAM_SECONDS = 300
KEEPALIVE_SECONDS = 15
SPOKEN_WITHIN_SECONDS = 60


class CallFeed:
    """Calls as the queue service announces them, on a connection of the caller's thread."""

    def __init__(self, amqp_uri):
        self.parameters = broker_parameters(amqp_uri)

    @contextmanager
    def subscribe(self, idle_seconds=1.0):
        """An iterator of ``ticket_called`` payloads, ``None`` after each idle second."""
        connection = pika.BlockingConnection(self.parameters)
        try:
            channel = connection.channel()
            channel.exchange_declare(TICKET_CALLED.exchange, exchange_type="topic", durable=True)
            queue = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
            channel.queue_bind(queue, TICKET_CALLED.exchange, routing_key=TICKET_CALLED.name)
            yield (
                None if body is None else TICKET_CALLED.parse(json.loads(body))
                for _, _, body in channel.consume(queue, auto_ack=True, inactivity_timeout=idle_seconds)
            )
        finally:
            if connection.is_open:
                connection.close()


def _event(call, position, kind="call"):
    return f"id: {position}\nevent: {kind}\ndata: {json.dumps(call, ensure_ascii=False)}\n\n"


def _caught_up(call, now):
    """``call``, or ``missed`` for a call older than ``SPOKEN_WITHIN_SECONDS``."""
    called_at = datetime.fromisoformat(call["called_at"])
    return "call" if (now - called_at).total_seconds() <= SPOKEN_WITHIN_SECONDS else "missed"


def board_events(feed, client, after, seconds):
    """Catch up from ``after``, then push each announced call once.

    Calls are announced by concurrent workers (and replicas), so call 7's event can arrive
    before call 6's: every call above the start not sent yet goes out, in arrival order.
    The event id is the highest sequence number sent so far, so a reconnecting screen
    resumes after everything it has seen."""
    with feed.subscribe() as calls:
        last, sent = after, set()
        while last is not None:
            page = client.queue.calls_after(last)
            if not page:
                break
            now = datetime.now(timezone.utc)
            for call in page:
                sent.add(call["seq"])
                yield _event(call, call["seq"], _caught_up(call, now))
            last = page[-1]["seq"]
        ends = time.monotonic() + seconds
        quiet_since = time.monotonic()
        yield ": connected\n\n"
        for payload in calls:
            now = time.monotonic()
            if now >= ends:
                return
            if payload is None:
                if now - quiet_since >= KEEPALIVE_SECONDS:
                    quiet_since = now
                    yield ": keep-alive\n\n"
                continue
            call = payload["call"]
            if call["seq"] not in sent and (after is None or call["seq"] > after):
                sent.add(call["seq"])
                last = max(last or 0, call["seq"])
                quiet_since = now
                yield _event(call, last)
