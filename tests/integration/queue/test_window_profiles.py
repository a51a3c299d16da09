"""A replica calls on the window profile it remembers from its last call there (categories in
order, tickets pinned to the window): a window changed since, by an admin or by a transfer
through another replica, is called as it is now, and a refused call changes nothing."""

from datetime import datetime, timedelta, timezone

import pytest
from nameko.testing.services import entrypoint_hook

from services.common.errors import Conflict
from services.common.workdays import load_hall_calendar
from services.queue import models, setup, tickets
from services.queue.service import QueueService
from tests.unit.paths import REPO_ROOT

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)  # 10:00 in the hall


@pytest.fixture
def queue(container_factory, service_config, clean_databases):
    container = container_factory(
        QueueService,
        dict(
            service_config,
            QUEUE_SETUP_FILE=str(REPO_ROOT / "hall" / "queue.yaml"),
            HALL_CALENDAR_FILE=str(REPO_ROOT / "hall" / "calendar.yaml"),
        ),
    )
    container.start()
    return container


@pytest.fixture
def replicas(queue):
    """The domain objects of two replicas on the container's connection; each remembers its own."""
    hall = setup.Hall(load_hall_calendar(str(REPO_ROOT / "hall" / "calendar.yaml")))
    return tickets.Tickets(hall), tickets.Tickets(hall)


def put_window(container, number, categories, open=True):
    with entrypoint_hook(container, "put_window") as entrypoint:
        entrypoint(number, categories, open=open)


def serve(desk, window, at):
    """Call and finish one ticket: the replica now remembers the window."""
    called, _ = desk.call(window, at)
    desk.finish(window, at + timedelta(seconds=30))
    return called


def waiting_ids():
    return sorted(entry.ticket_id for entry in models.WaitingTicket.objects)


def test_a_call_follows_the_order_an_admin_gave_the_window_since_its_last_call(queue, replicas):
    first, _ = replicas
    first.issue(NOW, category="A")
    serve(first, 1, NOW + timedelta(minutes=1))  # window 1 serves A, then C
    a, _ = first.issue(NOW + timedelta(minutes=2), category="A")
    c, _ = first.issue(NOW + timedelta(minutes=3), category="C")
    put_window(queue, 1, ["C", "A"])

    called, _ = first.call(1, NOW + timedelta(minutes=4))

    assert called["ticket_id"] == c["ticket_id"]
    assert waiting_ids() == [a["ticket_id"]]


def test_a_category_taken_from_the_window_is_no_longer_called_there(queue, replicas):
    first, _ = replicas
    first.issue(NOW, category="A")
    serve(first, 1, NOW + timedelta(minutes=1))
    a, _ = first.issue(NOW + timedelta(minutes=2), category="A")
    put_window(queue, 1, ["C"])

    assert first.call(1, NOW + timedelta(minutes=3)) == (None, None)
    assert waiting_ids() == [a["ticket_id"]]
    assert models.Window.objects(number=1).first().current_ticket is None


def test_a_ticket_transferred_to_the_window_through_another_replica_comes_first(queue, replicas):
    first, second = replicas
    first.issue(NOW, category="A")
    serve(first, 2, NOW + timedelta(minutes=1))  # window 2 serves A; nothing pinned to it
    earlier, _ = first.issue(NOW + timedelta(minutes=2), category="A")
    moved, _ = first.issue(NOW + timedelta(minutes=3), category="B")
    second.call(4, NOW + timedelta(minutes=4))
    second.transfer(4, NOW + timedelta(minutes=5), category="A", to_window=2)

    called, _ = first.call(2, NOW + timedelta(minutes=6))

    assert called["ticket_id"] == moved["ticket_id"]
    assert waiting_ids() == [earlier["ticket_id"]]
    assert models.Window.objects(number=2).first().pinned == 0


def test_a_window_closed_since_its_last_call_refuses_and_the_queue_is_unchanged(queue, replicas):
    first, _ = replicas
    first.issue(NOW, category="A")
    serve(first, 1, NOW + timedelta(minutes=1))
    waiting, _ = first.issue(NOW + timedelta(minutes=2), category="A")
    put_window(queue, 1, ["A", "C"], open=False)

    with pytest.raises(Conflict, match="closed"):
        first.call(1, NOW + timedelta(minutes=3))

    assert waiting_ids() == [waiting["ticket_id"]]
    assert first.get(waiting["ticket_id"]).state == "waiting"
    assert models.Window.objects(number=1).first().current_ticket is None


def test_calling_again_while_a_ticket_is_at_the_window_leaves_the_next_one_waiting(queue, replicas):
    first, _ = replicas
    at_window, _ = first.issue(NOW, category="A")
    following, _ = first.issue(NOW + timedelta(minutes=1), category="A")
    first.call(1, NOW + timedelta(minutes=2))

    with pytest.raises(Conflict, match="still has ticket"):
        first.call(1, NOW + timedelta(minutes=3))

    assert waiting_ids() == [following["ticket_id"]]
    assert first.get(following["ticket_id"]).state == "waiting"
    assert models.Window.objects(number=1).first().current_ticket == at_window["ticket_id"]
