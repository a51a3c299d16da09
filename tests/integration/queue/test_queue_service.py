"""The queue service on the real broker and store: set-up, tickets, window operations,
the board, stats and events; the 53-window concurrency of the call."""

from datetime import datetime, timedelta, timezone

import eventlet
import pytest
from nameko.events import event_handler
from nameko.testing.services import entrypoint_waiter
from pymongo.synchronous import command_runner

from gateway.rpc import RemoteError, RpcClient
from services.common.db import collection_of
from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.time import isoformat
from services.queue import models, ticket_rules, tickets
from services.queue.board import calls_after, day_stats, recent_calls
from services.queue.service import QueueService
from tests.integration.queue.conftest import call

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)  # 10:00 in the hall
VIP = "11010519491231002X"


def test_the_setup_file_seeds_a_fresh_store_and_admin_changes_survive_a_restart(queue, container_factory, config):
    first = call(queue, "get_setup")
    assert [c["code"] for c in first["categories"]] == ["A", "B", "C"]
    assert [w["number"] for w in first["windows"]] == [1, 2, 3, 4, 5]
    assert first["settings"]["priority_order"] == ["appointment", "care", "vip", "normal"]
    call(queue, "put_window", 2, ["B", "A"], open=False)
    call(queue, "update_settings", {"recall_limit": 5})
    queue.stop()
    again = container_factory(QueueService, config)
    again.start()
    after = call(again, "get_setup")
    assert after["windows"][1] == {"number": 2, "categories": ["B", "A"], "open": False, "current_ticket": None}
    assert after["settings"]["recall_limit"] == 5


def test_tickets_are_numbered_per_category_and_day_with_people_ahead(desk):
    first, _ = desk.issue(NOW, category="A")
    second, _ = desk.issue(NOW + timedelta(seconds=1), category="A")
    other, _ = desk.issue(NOW, category="B")
    by_item, _ = desk.issue(NOW + timedelta(seconds=2), item_code="TX-001")
    tomorrow, _ = desk.issue(NOW + timedelta(days=1), category="A")
    assert [first["number"], second["number"], other["number"], by_item["number"]] == ["A001", "A002", "B001", "B002"]
    assert first["ticket_id"] == "20261126-A001" and tomorrow["ticket_id"] == "20261127-A001"
    assert (first["ahead"], second["ahead"], by_item["ahead"]) == (0, 1, 1)
    # 1 person ahead, 10 min default service time, 4 open windows serve A.
    assert second["estimated_wait_minutes"] == 3


def test_priority_classes_come_first_then_first_come_first_served(desk):
    models.HallSettings.objects(key="hall").update_one(set__vip_ids=[VIP])
    normal, _ = desk.issue(NOW, category="A")
    care, _ = desk.issue(NOW + timedelta(seconds=1), category="A", priority="care")
    vip, _ = desk.issue(NOW + timedelta(seconds=2), category="A", applicant_id=VIP)
    care_later, _ = desk.issue(NOW + timedelta(seconds=3), category="A", priority="care")
    assert (care["priority"], vip["priority"]) == ("care", "vip")
    assert care_later["ahead"] == 1
    order = []
    for _ in range(4):
        order.append(desk.call(2, NOW + timedelta(minutes=1))[0]["number"])
        desk.finish(2, NOW + timedelta(minutes=2))
    assert order == [care["number"], care_later["number"], vip["number"], normal["number"]]


def test_a_window_serves_its_categories_in_its_own_order(desk):
    desk.issue(NOW, category="A")
    b, _ = desk.issue(NOW + timedelta(minutes=5), category="B")
    called, event = desk.call(3, NOW + timedelta(minutes=6))  # window 3 serves B before A
    assert called["number"] == b["number"] and called["state"] == "called" and called["window"] == 3
    assert called["announcement"]["text_zh"] == "请B001号到3号窗口办理"
    assert called["announcement"]["text_en"] == "Ticket B001, please go to window 3."
    assert event["number"] == "B001" and "applicant_id" not in event


def test_calling_an_empty_queue_answers_none_and_changes_nothing(queue):
    assert call(queue, "call_next", 1) is None
    assert models.Window.objects(number=1).first().current_ticket is None


def test_window_operations_refuse_precisely_and_leave_state_unchanged(queue, desk):
    desk.issue(NOW, category="A")
    with pytest.raises(NotFound):
        call(queue, "call_next", 99)
    call(queue, "put_window", 2, ["A"], open=False)
    with pytest.raises(Conflict, match="closed"):
        call(queue, "call_next", 2)
    assert models.WaitingTicket.objects.count() == 1
    with pytest.raises(Conflict, match="no ticket"):
        call(queue, "finish_service", 1)
    with pytest.raises(NotFound, match="no window 99"):
        call(queue, "finish_service", 99)
    ticket = call(queue, "call_next", 1)
    with pytest.raises(Conflict, match="still has ticket"):
        call(queue, "call_next", 1)
    with pytest.raises(InvalidInput, match="does not serve"):
        call(queue, "transfer", 1, category="A", to_window=4)
    with pytest.raises(NotFound):
        call(queue, "transfer", 1, category="Z")
    assert call(queue, "get_ticket", ticket["ticket_id"])["state"] == "called"
    assert models.Window.objects(number=1).first().current_ticket == ticket["ticket_id"]


def test_recall_up_to_the_limit_then_the_ticket_is_a_no_show(queue, desk):
    desk.issue(NOW, category="A")
    first = call(queue, "call_next", 1)
    recalls = [call(queue, "recall", 1) for _ in range(2)]  # recall_limit 2
    assert [r["calls"] for r in recalls] == [2, 3]
    assert [r["announcement"]["recall"] for r in recalls] == [1, 2]
    gone = call(queue, "recall", 1)
    assert gone["state"] == "no_show" and gone["ticket_id"] == first["ticket_id"]
    assert models.Window.objects(number=1).first().current_ticket is None
    row = next(s for s in call(queue, "get_stats", "2026-11-26")["categories"] if s["category"] == "A")
    assert (row["no_shows"], row["abandoned"], row["waiting"]) == (1, 0, 0)


def test_start_finish_and_link_the_case(queue, desk):
    desk.issue(NOW, category="A")
    ticket = call(queue, "call_next", 1)
    assert call(queue, "start_service", 1)["state"] == "serving"
    with pytest.raises(Conflict):
        call(queue, "mark_no_show", 1)  # being served: not a no-show
    linked = call(queue, "link_case", ticket["ticket_id"], "20261126000001")
    assert linked["case_no"] == "20261126000001"
    with pytest.raises(Conflict, match="already linked"):
        call(queue, "link_case", ticket["ticket_id"], "20261126000002")
    finished = call(queue, "finish_service", 1)
    assert finished["state"] == "finished" and finished["finished_at"]
    assert call(queue, "get_ticket", ticket["ticket_id"])["case_no"] == "20261126000001"
    assert models.Window.objects(number=1).first().current_ticket is None


def test_a_transferred_ticket_keeps_its_issue_time_and_goes_to_its_target(desk):
    early, _ = desk.issue(NOW, category="A")
    later, _ = desk.issue(NOW + timedelta(minutes=10), category="B")
    desk.call(1, NOW + timedelta(minutes=11))
    moved, event = desk.transfer(1, NOW + timedelta(minutes=12), category="B")
    assert moved["state"] == "waiting" and moved["category"] == "B" and moved["issued_at"] == early["issued_at"]
    assert event["from_window"] == 1
    # In category B the transferred ticket was issued first, so it comes before B001.
    assert desk.call(4, NOW + timedelta(minutes=13))[0]["number"] == early["number"]
    desk.transfer(4, NOW + timedelta(minutes=14), to_window=3)
    assert models.Window.objects(number=3).first().pinned == 1
    assert desk.call(3, NOW + timedelta(minutes=15))[0]["number"] == early["number"]
    assert desk.call(5, NOW + timedelta(minutes=16))[0]["number"] == later["number"]


def test_the_board_shows_calls_waiting_counts_and_window_states(queue, desk):
    for _ in range(3):
        desk.issue(NOW, category="A")
    desk.issue(NOW, category="C")
    call(queue, "call_next", 2)
    call(queue, "put_window", 4, ["B"], open=False)
    board = call(queue, "get_board")
    assert board["waiting"] == {"A": 2, "B": 0, "C": 1}
    assert [c["number"] for c in board["calls"]] == ["A001"] and board["last_seq"] == board["calls"][0]["seq"]
    states = {w["number"]: (w["state"], w["ticket"]) for w in board["windows"]}
    assert states[2] == ("called", "A001") and states[4] == ("closed", None) and states[1] == ("idle", None)
    assert call(queue, "calls_after", board["last_seq"] - 1)[0]["number"] == "A001"
    assert call(queue, "calls_after", board["last_seq"]) == []


def test_stats_sum_waiting_and_service_times(desk):
    desk.issue(NOW, category="A")
    desk.call(1, NOW + timedelta(minutes=4))
    desk.finish(1, NOW + timedelta(minutes=10))
    row = next(r for r in day_stats("20261126")["categories"] if r["category"] == "A")
    assert (row["issued"], row["called"], row["served"]) == (1, 1, 1)
    assert (row["mean_wait_minutes"], row["mean_service_minutes"]) == (4.0, 6.0)
    assert row["p90_wait_minutes"] == 4.0
    # The next ticket's estimate uses today's mean service time: 1 ahead × 6 min ÷ 4 windows.
    desk.issue(NOW + timedelta(minutes=11), category="A")
    assert desk.issue(NOW + timedelta(minutes=12), category="A")[0]["estimated_wait_minutes"] == 2


def test_waits_are_the_stamps_differences_and_give_the_nearest_rank_90th_percentile(desk):
    """Ten waits of 1…10 min between stamps kept in whole milliseconds (the sub-millisecond
    instants of the calls are not counted): the 9th smallest is the 90th percentile."""
    for _ in range(10):
        desk.issue(NOW + timedelta(microseconds=400), category="A")  # stamped NOW
    for n in range(1, 11):
        called = desk.call(1, NOW + timedelta(minutes=n, microseconds=700))[0]  # stamped 1 ms later
        assert called["called_at"] == isoformat(NOW + timedelta(minutes=n, milliseconds=1))
        desk.finish(1, NOW + timedelta(minutes=n, seconds=30))
    row = next(r for r in day_stats("20261126")["categories"] if r["category"] == "A")
    assert (row["called"], row["mean_wait_minutes"], row["p90_wait_minutes"]) == (10, 5.5, 9.0)
    sums = models.DailyStats.objects.get(key="20261126:A")
    assert sorted(sums.waits_ms) == [n * 60000 + 1 for n in range(1, 11)] and sums.wait_ms == sum(sums.waits_ms)


def test_a_days_tickets_come_by_issue_time_with_their_stamps(queue, desk):
    desk.issue(NOW + timedelta(minutes=1), category="B")
    desk.issue(NOW, category="A")
    desk.issue(NOW + timedelta(days=1), category="A")  # tomorrow's
    desk.call(1, NOW + timedelta(minutes=3))
    day = call(queue, "day_tickets", "2026-11-26")
    assert day["day"] == "2026-11-26" and [t["number"] for t in day["tickets"]] == ["A001", "B001"]
    assert day["tickets"][0]["called_at"] == isoformat(NOW + timedelta(minutes=3))
    assert day["tickets"][1]["called_at"] is None
    with pytest.raises(InvalidInput):
        call(queue, "day_tickets", "20261126")


def test_the_halls_waits_over_a_period_count_each_tickets_first_call_once(queue, desk):
    assert call(queue, "period_waits", "2026-11-26", "2026-11-26") == {"called": 0, "average_wait_seconds": None}
    desk.issue(NOW, category="A")
    desk.issue(NOW + timedelta(minutes=1), category="B")
    desk.issue(NOW - timedelta(days=1), category="C")  # yesterday's, called below
    assert desk.call(2, NOW + timedelta(minutes=2))[0]["number"] == "A001"
    desk.recall(2, NOW + timedelta(minutes=3))  # a recall is no new wait
    desk.transfer(2, NOW + timedelta(minutes=4), category="B")
    assert desk.call(4, NOW + timedelta(minutes=5))[0]["number"] == "A001"  # called again: no new wait
    assert desk.call(3, NOW + timedelta(minutes=6))[0]["number"] == "B001"
    # First calls today: A001 after 2 min, B001 after 5 min.
    assert call(queue, "period_waits", "2026-11-26", "2026-11-26") == {"called": 2, "average_wait_seconds": 210.0}
    assert desk.call(1, NOW + timedelta(minutes=10))[0]["ticket_id"] == "20261125-C001"  # 1 day 10 min
    assert call(queue, "period_waits", "2026-11-27", "2026-12-26")["called"] == 0
    both = call(queue, "period_waits", "2026-11-25", "2026-11-26")
    assert both == {"called": 3, "average_wait_seconds": round((120 + 300 + 87000) / 3, 1)}


def test_tickets_left_waiting_from_an_earlier_day_are_abandoned(desk):
    old, _ = desk.issue(NOW - timedelta(days=1), category="A")
    today, _ = desk.issue(NOW, category="A")
    assert desk.abandon_earlier_days(NOW) == [old["ticket_id"]]
    assert desk.get(old["ticket_id"]).state == "abandoned"
    assert [w.ticket_id for w in models.WaitingTicket.objects] == [today["ticket_id"]]


class QueueEvents:
    """Stands in for the monitor; its durable queues are purged before each test."""

    name = "test_queue_listener"
    received = []

    @event_handler("queue", "ticket_issued")
    def on_issued(self, payload):
        self.received.append(("ticket_issued", payload))

    @event_handler("queue", "ticket_called")
    def on_called(self, payload):
        self.received.append(("ticket_called", payload))


@pytest.fixture
def listener(start_listener):
    QueueEvents.received = []
    return start_listener(QueueEvents)


def test_issuing_and_calling_are_announced_as_events(queue, listener):
    with entrypoint_waiter(listener, "on_issued"):
        ticket = call(queue, "issue_ticket", category="C")
    with entrypoint_waiter(listener, "on_called"):
        call(queue, "call_next", 5)
    mine = [(name, p) for name, p in QueueEvents.received if p["ticket_id"] == ticket["ticket_id"]]
    assert [name for name, _ in mine] == ["ticket_issued", "ticket_called"]
    assert mine[1][1]["call"]["text_zh"] == f"请{ticket['number']}号到5号窗口办理"


def test_53_windows_calling_at_once_call_every_ticket_exactly_once(container_factory, config, clean_databases):
    """500 tickets, 53 windows pressing "call next" as fast as they can, on two replicas."""
    replicas = [container_factory(QueueService, config) for _ in range(2)]
    for replica in replicas:
        replica.start()
    for number in range(1, 54):
        call(replicas[0], "put_window", number, ["A", "B", "C"][number % 3 :] + ["A", "B", "C"][: number % 3])
    issued = {call(replicas[0], "issue_ticket", category="ABC"[i % 3])["ticket_id"] for i in range(500)}
    client = RpcClient(config["AMQP_URI"], timeout=60)

    def serve(window):
        called = []
        while True:
            try:
                ticket = client.call("queue", "call_next", window)
            except RemoteError as refused:
                return called, refused.exc_type
            if ticket is None:
                return called, None
            called.append(ticket["ticket_id"])
            client.call("queue", "finish_service", window)

    results = [thread.wait() for thread in [eventlet.spawn(serve, w) for w in range(1, 54)]]
    called = [ticket_id for tickets_called, _ in results for ticket_id in tickets_called]
    assert [error for _, error in results if error] == []
    assert len(called) == len(set(called)) == 500
    assert set(called) == issued
    assert models.WaitingTicket.objects.count() == 0
    assert models.Ticket.objects(state="finished").count() == 500
    assert models.Ticket.objects(call_seq__gt=0).count() == 500


def test_a_call_is_numbered_by_its_time_and_window_and_a_taken_number_moves_to_the_next_millisecond(desk):
    for _ in range(2):
        desk.issue(NOW, category="A")
    called_at = NOW + timedelta(minutes=1)
    seq = ticket_rules.call_seq(called_at, 3)
    assert seq == round(called_at.timestamp() * 1000) * 1000 + 3
    first, _ = desk.call(3, called_at)
    assert first["announcement"]["seq"] == seq
    desk.finish(3, called_at)
    second, _ = desk.call(3, called_at)  # the same window in the same millisecond (a replica's clock)
    assert second["announcement"]["seq"] == seq + 1000
    assert [c["number"] for c in calls_after(seq - 1, called_at)] == [first["number"], second["number"]]


def test_a_store_that_does_not_apply_the_announcement_is_an_error_and_undoes_the_call(desk, monkeypatch):
    desk.issue(NOW, category="A")
    real = collection_of(models.Ticket)

    class Ignoring:
        """The store's collection, except that a findAndModify on a ticket changes nothing."""

        def __getattr__(self, name):
            return getattr(real, name)

        def find_one_and_update(self, *args, **kwargs):
            return None

    monkeypatch.setattr(
        tickets, "collection_of", lambda model: Ignoring() if model is models.Ticket else collection_of(model)
    )
    with pytest.raises(RuntimeError, match=f"in {tickets.ANNOUNCE_ATTEMPTS} writes"):
        desk.call(1, NOW)
    # Nothing half-written: the ticket waits again and the window is free.
    assert [w.ticket_id for w in models.WaitingTicket.objects] == ["20261126-A001"]
    assert models.Window.objects(number=1).first().current_ticket is None
    monkeypatch.undo()
    assert desk.call(1, NOW + timedelta(seconds=1))[0]["number"] == "A001"


def test_calls_stored_by_an_earlier_release_stay_history_and_the_board_shows_the_new_ones(queue, desk):
    """An earlier release kept calls in a ``calls`` collection, numbered by its ``_id``, and
    its tickets have no ``call_seq``."""
    collection_of(models.Ticket).database["calls"].insert_one(
        {
            "_id": 41,
            "ticket_id": "20261125-A041",
            "number": "A041",
            "window": 1,
            "category": "A",
            "recall": 0,
            "text_zh": "请A041号到1号窗口办理",
            "text_en": "Ticket A041, please go to window 1.",
            "called_at": 0,
        }
    )
    collection_of(models.Ticket).insert_one(
        {
            "_id": "20261125-A041",
            "number": "A041",
            "day": "20261125",
            "category": "A",
            "priority": "normal",
            "state": "finished",
            "window": 1,
            "calls": 1,
            "transfers": 0,
            "issued_at": 0,
            "called_at": 0,
        }
    )
    desk.issue(NOW, category="A")
    call(queue, "call_next", 2)
    board = call(queue, "get_board")
    assert [c["number"] for c in board["calls"]] == ["A001"]
    assert [c["number"] for c in call(queue, "calls_after", 0)] == ["A001"]


def test_the_board_shows_a_tickets_newest_call_and_not_a_transferred_ticket(desk):
    desk.issue(NOW, category="A")
    desk.issue(NOW, category="A")
    first, _ = desk.call(1, NOW + timedelta(minutes=1))
    second, _ = desk.call(2, NOW + timedelta(minutes=2))
    recalled, _ = desk.recall(1, NOW + timedelta(minutes=3))
    assert recalled["announcement"]["recall"] == 1
    assert recalled["announcement"]["called_at"] == isoformat(NOW + timedelta(minutes=3))
    assert [(c["number"], c["recall"]) for c in recent_calls(NOW)] == [("A001", 1), ("A002", 0)]
    assert [c["seq"] for c in calls_after(second["announcement"]["seq"], NOW)] == [recalled["announcement"]["seq"]]
    desk.transfer(2, NOW + timedelta(minutes=4), category="B")
    assert [c["number"] for c in recent_calls(NOW)] == ["A001"]
    again, _ = desk.call(3, NOW + timedelta(minutes=5))
    assert again["number"] == "A002" and again["announcement"]["text_zh"] == "请A002号到3号窗口办理"
    assert [c["number"] for c in recent_calls(NOW)] == ["A002", "A001"]


def test_a_call_answers_after_three_store_commands_and_a_finish_after_two(desk, monkeypatch):
    """The hot path stays small: claim, window, the ticket called and announced; the finish
    frees the window (which names its ticket) and moves the ticket by key. The day's counts
    (one write each) are left for after the reply."""
    commands, run = [], command_runner._run_command

    def counted(conn, cmd, *args, **kwargs):
        if next(iter(cmd)) not in ("hello", "isMaster", "ismaster", "endSessions"):
            commands.append(next(iter(cmd)))
        return run(conn, cmd, *args, **kwargs)

    def answered_then_later(step, *args):
        held = []
        del commands[:]
        step(*args, later=lambda fn, *a, **kw: held.append((fn, a, kw)))
        answered = list(commands)
        for fn, a, kw in held:
            fn(*a, **kw)
        return answered, commands[len(answered) :]

    desk.issue(NOW, category="A")
    desk.call(1, NOW)  # the window's profile is remembered from here on
    desk.finish(1, NOW)
    desk.issue(NOW, category="A")
    monkeypatch.setattr(command_runner, "_run_command", counted)
    assert answered_then_later(desk.call, 1, NOW + timedelta(minutes=1)) == (["findAndModify"] * 3, ["update"])
    assert answered_then_later(desk.finish, 1, NOW + timedelta(minutes=3)) == (["findAndModify"] * 2, ["update"])
    row = next(r for r in day_stats("20261126")["categories"] if r["category"] == "A")
    assert (row["called"], row["served"], row["mean_wait_minutes"], row["mean_service_minutes"]) == (2, 2, 0.5, 1.0)
