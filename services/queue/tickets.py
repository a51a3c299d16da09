"""Tickets (号票) and the window operations: issue, call, recall, no-show, start, finish,
transfer, and linking a ticket to its case.

The rules (fairness, which button works when, where a transfer may go) are ``ticket_rules``;
this module stores what they decide.

Exactly once: the call claims a ticket by removing its entry from the small ``waiting``
collection with one ``findAndModify`` (filter + sort + remove), which is atomic on MongoDB
and on the embedded store; only the caller that removed the entry gets the ticket. Every
later step changes the ticket by key with a condition on its state, so two people pressing
buttons at one window at once cannot both succeed.

The call and the finish are the hot path (53 windows; the embedded store runs one command at
a time per database), so they speak pymongo directly, not mongoengine's query sets (which cost
the finish about as much CPU as its store commands), and read the ticket they changed as a
plain object (``plain_from``), building no ``Ticket``. The call answers after three commands:
claim, take the window, mark the ticket called and announced (the ticket is its newest call on
the board: its sequence number is its time, so no counter is read); the day's counts and the
event are left to ``later`` (the service's: after the reply). It claims with the window's
profile (categories in order, tickets pinned to it) as this replica last saw it; taking the
window returns the window as it is now, and a call made on a profile that no longer holds is
undone (the entry goes back, the window is freed) and made again on a fresh read. The finish
answers after two: free the window (the write names its ticket), move the ticket by key; its
counts follow.
"""

from datetime import datetime

from mongoengine.queryset.visitor import Q
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.common import applicant_ids
from services.common.db import collection_of, count_of, plain_from
from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.fields import from_millis, to_millis
from services.common.sequences import compact_day, hall_day, next_in_sequence
from services.common.time import isoformat
from services.queue import measures, models
from services.queue import ticket_rules as rules
from services.queue.day_counts import ENDINGS, issue_category
from services.queue.ticket_rules import AT_WINDOW, iso_day, ticket_label

_STALE = object()  # a call on a remembered window profile that no longer holds
ANNOUNCE_ATTEMPTS = 20  # numbers taken by other calls in a row, or writes the store did not apply


def stored_day(iso):
    """An ISO date (``YYYY-MM-DD``) as the store keys hold it; refuses anything else."""
    try:
        return compact_day(datetime.strptime(str(iso), "%Y-%m-%d"))
    except ValueError:
        raise InvalidInput(
            f"day must be a date YYYY-MM-DD, not {iso!r}", [{"field": "day", "message": "YYYY-MM-DD, e.g. 2026-12-03"}]
        ) from None


def at_once(fn, *args, **kwargs):
    """The ``later`` of a caller without a reply to send first: the work is done now."""
    fn(*args, **kwargs)


def count_stats(day, category, **increments):
    collection_of(models.DailyStats).update_one(
        {"_id": f"{day}:{category}"}, {"$set": {"day": day, "category": category}, "$inc": increments}, upsert=True
    )


def count_call(day, category, wait_ms):
    """A ticket's first call: counted, its wait summed (the mean) and kept (the percentile)."""
    collection_of(models.DailyStats).update_one(
        {"_id": f"{day}:{category}"},
        {
            "$set": {"day": day, "category": category},
            "$inc": {"called": 1, "wait_ms": wait_ms},
            "$push": {"waits_ms": wait_ms},
        },
        upsert=True,
    )


def count_ending(ticket, later=at_once, **sums):
    """Count a ticket that has just ended, by how it ended (its state), in the day and category
    it was issued in (see ``day_counts``)."""
    later(count_stats, ticket.day, issue_category(ticket.number), **{ENDINGS[ticket.state]: 1}, **sums)


class Tickets:
    """The queue's operations; thread-safe (state lives in the store only)."""

    def __init__(self, hall):
        self.hall = hall
        self._profiles = {}  # window number -> (categories, pinned) as this replica last saw them

    # -- the kiosk -------------------------------------------------------------------
    def issue(self, now, category=None, item_code=None, priority="normal", applicant_id=None, appointment=None):
        """A new ticket, with the people ahead of it and an estimated wait.

        Returns ``(view, event)``."""
        applicant_id = applicant_ids.normalise(applicant_id)
        settings = self.hall.settings()
        if category:
            chosen = self.hall.category(category)
        elif item_code:
            chosen = self.hall.category_for_item(item_code)
        else:
            raise InvalidInput("choose a category or an item", [{"field": "category", "message": "required"}])
        klass = rules.priority_class(settings, priority, applicant_id, appointment)
        day = hall_day(now)
        number = rules.ticket_number(chosen.code, next_in_sequence(models.Counter, f"ticket:{day}:{chosen.code}"))
        ticket = models.Ticket(
            ticket_id=rules.ticket_id(day, number),
            number=number,
            day=day,
            category=chosen.code,
            priority=klass,
            applicant_id=applicant_id,
            item_code=item_code,
            appointment_code=appointment,
            state="waiting",
            issued_at=now,
        )
        ticket.save(force_insert=True)
        rank = rules.rank(settings, klass)
        models.WaitingTicket(
            ticket_id=ticket.ticket_id, category=chosen.code, rank=rank, issued_ms=to_millis(now)
        ).save(force_insert=True)
        count_stats(day, issue_category(number), issued=1)
        measures.TICKETS_ISSUED.labels(chosen.code, klass).inc()
        ahead = count_of(
            models.WaitingTicket.objects(category=chosen.code, window=0).filter(
                Q(rank__lt=rank) | Q(rank=rank, issued_ms__lt=to_millis(now))
            )
        )
        view = dict(
            ticket_view(ticket),
            ahead=ahead,
            estimated_wait_minutes=self.estimate_wait(settings, day, chosen.code, ahead),
        )
        return view, event_of(ticket)

    def estimate_wait(self, settings, day, category, ahead):
        """The wait ``ahead`` people make, by today's services and the open windows (``ticket_rules``).
        The day's sums are read without their list of waits, which grows with every call of the day."""
        stats = models.DailyStats.objects(key=f"{day}:{category}").only("served", "service_ms").first()
        windows = count_of(models.Window.objects(categories=category, open=True))
        return rules.wait_minutes(
            ahead,
            stats.served if stats else 0,
            stats.service_ms if stats else 0,
            settings.default_service_minutes,
            windows,
        )

    def get(self, ticket_id):
        ticket = models.Ticket.objects(ticket_id=ticket_id).first()
        if ticket is None:
            raise NotFound(f"there is no ticket {ticket_id}")
        return ticket

    # -- the window ------------------------------------------------------------------
    def call(self, window_number, now, later=at_once):
        """Call the next ticket to the window; None when nobody waits for it. The day's counts
        are left to ``later`` (the service's: after the reply).

        Returns ``(view, event)`` or ``(None, None)``."""
        profile = self._profiles.get(window_number)
        if profile is not None:
            called = self._call_with(window_number, profile, now, later, remembered=True)
            if called is not _STALE:
                return called
        return self._call_with(window_number, self._read_profile(window_number), now, later, remembered=False)

    def _read_profile(self, window_number):
        """The window as stored now: refuses a closed or busy window; remembers its profile."""
        window = self.hall.window(window_number)
        rules.check_may_call(window)
        profile = self._profiles[window_number] = rules.profile(window)
        return profile

    def _call_with(self, number, profile, now, later, remembered):
        """One call on ``profile``; with a ``remembered`` profile, ``_STALE`` when the window
        no longer matches it (nothing changed then)."""
        entry, was_pinned = self._claim(rules.call_queues(number, profile))
        if entry is None:
            if remembered and self._read_profile(number) != profile:
                return _STALE  # the window changed: claim again on what it is now
            return None, None
        windows = collection_of(models.Window)
        window = windows.find_one_and_update(
            {"_id": number, "current_ticket": None},
            {"$set": {"current_ticket": entry["_id"]}, **({"$inc": {"pinned": -1}} if was_pinned else {})},
            projection={"categories": 1, "pinned": 1, "open": 1},
            return_document=ReturnDocument.AFTER,
        )
        stale = (
            window is not None
            and remembered
            and rules.profile_changed(
                profile, window.get("categories", ()), window.get("open", True), window.get("pinned", 0), was_pinned
            )
        )
        if window is None or stale:
            self._give_back(entry, number, was_pinned, took_window=stale)
            if remembered:
                return _STALE
            raise Conflict(f"window {number} called another ticket at the same moment")
        self._profiles[number] = (tuple(window.get("categories", ())), window.get("pinned", 0))
        try:
            ticket = self._announced(
                {"_id": entry["_id"]},
                number,
                now,
                {
                    "$set": {"state": "called", "window": number, "called_at": to_millis(now), "calls": 1},
                    "$unset": {"target_window": ""},
                },
            )
        except RuntimeError:
            self._give_back(entry, number, was_pinned, took_window=True)  # nothing half-written
            raise
        if rules.is_first_call(ticket):
            waited_ms = rules.waited_ms(ticket)
            later(count_call, ticket.day, issue_category(ticket.number), waited_ms)
            measures.WAIT_SECONDS.labels(ticket.category).observe(waited_ms / 1000)
        return called_views(ticket)

    def _give_back(self, entry, number, was_pinned, took_window):
        """Undo a claim: the entry back to waiting, and the window freed if the call took it."""
        collection_of(models.WaitingTicket).insert_one(entry)
        if took_window:
            collection_of(models.Window).update_one(
                {"_id": number, "current_ticket": entry["_id"]},
                {"$unset": {"current_ticket": ""}, **({"$inc": {"pinned": 1}} if was_pinned else {})},
            )
        self._profiles.pop(number, None)

    @staticmethod
    def _claim(queues):
        """Remove the next waiting entry of the first of ``queues`` (``ticket_rules.call_queues``)
        that has one (atomic): ``(entry, was it pinned to the window)``, or ``(None, False)``."""
        waiting, order = collection_of(models.WaitingTicket), [("rank", 1), ("issued_ms", 1)]
        for category, window in queues:
            entry = waiting.find_one_and_delete(
                {"window": window} if category is None else {"category": category, "window": window}, sort=order
            )
            if entry is not None:
                return entry, category is None
        return None, False

    @staticmethod
    def _announced(query, window, now, update):
        """The ticket ``query`` finds, changed by ``update`` and announced: given the call's
        sequence number in the same write. None when ``query`` finds nothing.

        A number another call holds (replicas whose clocks differ, or one window twice in a
        millisecond) moves to the next millisecond. MongoDB refuses it with error 11000; the
        embedded store answers no document instead (decision 0001), so a write that changed
        nothing looks for the number's holder before it calls the ticket gone."""
        seq, tickets = rules.call_seq(now, window), collection_of(models.Ticket)
        for _ in range(ANNOUNCE_ATTEMPTS):
            try:
                changed = tickets.find_one_and_update(
                    query,
                    {**update, "$set": {**update.get("$set", {}), "call_seq": seq}},
                    return_document=ReturnDocument.AFTER,
                )
            except DuplicateKeyError:
                changed = None
            if changed is not None:
                return plain_from(models.Ticket, changed)
            if tickets.find_one({"call_seq": seq}, {"_id": 1}) is not None:
                seq += 1000
            elif tickets.find_one(query, {"_id": 1}) is None:
                return None
        raise RuntimeError(f"the store did not announce ticket {query['_id']} in {ANNOUNCE_ATTEMPTS} writes")

    def current(self, window_number, states=AT_WINDOW):
        return self._checked(self._current_id(window_number), states)

    def _current_id(self, window_number):
        ticket_id = self.hall.window_ticket(window_number)
        if not ticket_id:
            raise Conflict(f"window {window_number} has no ticket at it")
        return ticket_id

    def _checked(self, ticket_id, states):
        ticket = self.get(ticket_id)
        rules.check_state(ticket, states)
        return ticket

    def recall(self, window_number, now):
        """Call the window's ticket again; past the recall limit it is a no-show."""
        ticket = self.current(window_number, ("called",))
        if rules.recall_is_no_show(ticket, self.hall.settings().recall_limit):
            return self.no_show(window_number, now)
        ticket = self._announced(
            {"_id": ticket.ticket_id, "state": "called", "calls": ticket.calls},
            ticket.window,
            now,
            {"$inc": {"calls": 1}},
        )
        if ticket is None:
            raise Conflict("the ticket changed meanwhile; look again")
        return called_views(ticket)

    def no_show(self, window_number, now):
        """The called person did not come (过号): the ticket ends, the window is free."""
        ticket = self._move(window_number, ("called",), "no_show", finished_at=now)
        self._free(ticket)
        count_ending(ticket)
        measures.NO_SHOWS.labels(ticket.category, "ticket").inc()
        return ticket_view(ticket), event_of(ticket)

    def start(self, window_number, now):
        ticket = self._move(window_number, ("called",), "serving", started_at=now)
        return ticket_view(ticket), event_of(ticket)

    def finish(self, window_number, now, later=at_once):
        """Service done; it started at the call if nobody pressed start. The day's counts are
        left to ``later`` (the service's: after the reply).

        The window is freed first, by the write that also names its ticket, then the ticket
        is moved by key: a ticket at a window is called or serving, so the move fails only when
        another button at the window (transfer, no-show, finish) moved it meanwhile, and that
        one frees the window too."""
        freed = collection_of(models.Window).find_one_and_update(
            {"_id": window_number, "current_ticket": {"$exists": True, "$ne": None}},
            {"$unset": {"current_ticket": ""}},
            projection={"current_ticket": 1},
        )
        if freed is None:
            self._current_id(window_number)  # refuses an unknown window or one without a ticket
            raise Conflict("the window changed meanwhile; look again")
        ticket = self._moved(freed["current_ticket"], AT_WINDOW, "finished", finished_at=now)
        served_ms = rules.served_ms(ticket)
        count_ending(ticket, later, service_ms=served_ms)
        measures.SERVICE_SECONDS.labels(ticket.category).observe(served_ms / 1000)
        return ticket_view(ticket), event_of(ticket, service_seconds=round(served_ms / 1000))

    def transfer(self, window_number, now, category=None, to_window=None):
        """Send the window's ticket to another category or window (转窗); it keeps its
        original issue time and priority class."""
        ticket = self.current(window_number)
        target_category = rules.transfer_category(ticket, category)
        self.hall.category(target_category)
        target = self.hall.window(to_window) if to_window is not None else None
        rules.check_transfer(category, to_window, target_category, target)
        rank = rules.rank(self.hall.settings(), ticket.priority)
        moved = models.Ticket.objects(ticket_id=ticket.ticket_id, state=ticket.state).modify(
            new=True,
            set__state="waiting",
            set__category=target_category,
            unset__window=True,
            set__target_window=to_window,
            inc__transfers=1,
            unset__started_at=True,
            unset__call_seq=True,
        )
        if moved is None:
            raise Conflict("the ticket changed meanwhile; look again")
        models.WaitingTicket(
            ticket_id=ticket.ticket_id,
            category=target_category,
            window=to_window or 0,
            rank=rank,
            issued_ms=to_millis(ticket.issued_at),
        ).save(force_insert=True)
        if to_window is not None:
            models.Window.objects(number=to_window).update_one(inc__pinned=1)
        self._free(ticket)
        return ticket_view(moved), event_of(moved, from_window=window_number)

    def link_case(self, ticket_id, case_no):
        """Record the case opened for the ticket's visit (once; the same case again is fine)."""
        ticket = self.get(ticket_id)
        rules.check_link(ticket, case_no)
        models.Ticket.objects(ticket_id=ticket_id).update_one(set__case_no=case_no)
        ticket.case_no = case_no
        return ticket_view(ticket)

    def _move(self, window_number, states, new_state, **times):
        """The window's ticket moved from one of ``states`` to ``new_state`` in one write by
        its key (the window names it: a filter on the ticket history's ``window`` would run on
        the embedded store in time that grows with the history); read only to explain a refusal."""
        return self._moved(self._current_id(window_number), states, new_state, **times)

    def _moved(self, ticket_id, states, new_state, **times):
        moved = collection_of(models.Ticket).find_one_and_update(
            {"_id": ticket_id, "state": {"$in": list(states)}},
            {"$set": {"state": new_state, **{name: to_millis(at) for name, at in times.items()}}},
            return_document=ReturnDocument.AFTER,
        )
        if moved is None:
            self._checked(ticket_id, states)
            raise Conflict("the ticket changed meanwhile; look again")
        return plain_from(models.Ticket, moved)

    @staticmethod
    def _free(ticket):
        collection_of(models.Window).update_one(
            {"_id": ticket.window, "current_ticket": ticket.ticket_id}, {"$unset": {"current_ticket": ""}}
        )

    # -- the day's end ---------------------------------------------------------------
    def abandon_earlier_days(self, now):
        """Tickets still waiting from an earlier day were never served: close them."""
        closed = []
        for entry in models.WaitingTicket.objects(issued_ms__lt=to_millis(rules.midnight(now))).only("ticket_id"):
            if models.WaitingTicket.objects(ticket_id=entry.ticket_id).delete():
                ticket = models.Ticket.objects(ticket_id=entry.ticket_id).modify(
                    new=True, set__state="abandoned", set__finished_at=now
                )
                count_ending(ticket)
                measures.ABANDONED.labels(ticket.category).inc()
                closed.append(ticket.ticket_id)
        return closed


def ticket_view(ticket):
    """The ticket with its day: the applicant's slip shows ``number`` and ``day``, staff
    screens the ``label`` (``2026-12-03 A001``)."""
    return {
        "ticket_id": ticket.ticket_id,
        "number": ticket.number,
        "day": iso_day(ticket.day),
        "label": ticket_label(ticket),
        "category": ticket.category,
        "priority": ticket.priority,
        "state": ticket.state,
        "window": ticket.window,
        "target_window": ticket.target_window,
        "calls": ticket.calls,
        "transfers": ticket.transfers,
        "case_no": ticket.case_no,
        "appointment_code": ticket.appointment_code,
        "issued_at": isoformat(ticket.issued_at),
        "called_at": isoformat(ticket.called_at),
        "started_at": isoformat(ticket.started_at),
        "finished_at": isoformat(ticket.finished_at),
    }


def call_view(ticket):
    """The ticket's newest call as the board and its stream show it; its time is the one in its
    sequence number."""
    text_zh, text_en = rules.announcement(ticket.number, ticket.window)
    return {
        "seq": ticket.call_seq,
        "ticket_id": ticket.ticket_id,
        "number": ticket.number,
        "day": iso_day(ticket.day),
        "window": ticket.window,
        "category": ticket.category,
        "recall": ticket.calls - 1,
        "text_zh": text_zh,
        "text_en": text_en,
        "called_at": isoformat(from_millis(ticket.call_seq // 1000)),
    }


def called_views(ticket):
    """``(view, event)`` of a ticket just called or recalled: both carry its call."""
    call = call_view(ticket)
    return dict(ticket_view(ticket), announcement=call), event_of(
        ticket, call=call, first_call=rules.is_first_call(ticket)
    )


def event_of(ticket, **extra):
    """The event payload for the monitor: the ticket without personal data."""
    return dict(
        {
            "ticket_id": ticket.ticket_id,
            "number": ticket.number,
            "category": ticket.category,
            "priority": ticket.priority,
            "state": ticket.state,
            "window": ticket.window,
            "issued_at": isoformat(ticket.issued_at),
        },
        **extra,
    )
