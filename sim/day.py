"""The hall's floor on the simulated day, minute by minute: appointments booked the working
day before, arrivals at the kiosk, windows calling, serving (the application is made at the
window and the clerk accepts, refuses or asks for supplements) and finishing.

Each simulated minute with something to do, the platform clock is set to it and the minute's
steps run in three phases: windows finishing, arrivals taking tickets, free windows calling.
Steps of one phase run concurrently (one thread per window or arrival, as in a hall). What a
window does with the person it called (the application and the clerk's answer) goes on while
the clock moves to the next minutes, as it does at a real window; the window finishes only
when it is done."""

import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sim.gateway import PlatformError
from sim.hall import form_answers

POLL_SECONDS = 0.05  # the first look again; each later one waits twice as long, up to POLL_MAX_SECONDS
POLL_MAX_SECONDS = 0.4
PROGRESS_SECONDS = 30  # a line at least this often (a provincial hall's hour takes many minutes)
TASK_TIMEOUT_SECONDS = 30


def wait_for(probe, what, timeout=TASK_TIMEOUT_SECONDS):
    """``probe()``'s first true answer: what crosses the broker arrives a moment later (later
    still on a loaded host, where looking again every 50 ms would only add to the load)."""
    deadline, pause = time.monotonic() + timeout, POLL_SECONDS
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(pause)
        pause = min(2 * pause, POLL_MAX_SECONDS)


def open_task(gateway, user, case_no, element_id=None):
    params = {"case_no": case_no, **({"element_id": element_id} if element_id else {})}
    return wait_for(
        lambda: gateway.get("/api/v1/tasks", as_user=user, params=params)["tasks"], f"{user}'s task of case {case_no}"
    )


def complete(gateway, user, task, data):
    gateway.post(
        f"/api/v1/tasks/{task['id']}/complete",
        as_user=user,
        json={"data": data},
        headers={"Idempotency-Key": f"sim-{task['id']}"},
    )


class FloorDay:
    """One day on the hall's floor. ``cases`` (the back office) hears of every case made."""

    def __init__(self, gateway, clock, hall, ledger, people, day, tz, cases, progress, workers=6):
        self.gateway, self.clock, self.hall, self.ledger = gateway, clock, hall, ledger
        self.people, self.day, self.tz, self.cases, self.progress = people, day, tz, cases, progress
        self.pool = ThreadPoolExecutor(workers)
        self.counters = ThreadPoolExecutor(workers)  # the windows' work with the people they called
        self.at_window = {}  # window → the future of its work with the person called
        self.run_id = uuid.uuid4().hex[:12]
        self.by_ticket = {}
        self.appointments = {}  # applicant number → appointment code
        self.waiting = Counter()  # the simulator's own count of its tickets waiting, per category
        self.busy_until = {}  # window → (minute it finishes, applicant) while serving
        self.appointment_no_shows = Counter()

    # -- the working day before --------------------------------------------------------
    def book_appointments(self):
        """Online bookings (网上预约) of the applicants with an appointment; a full slot makes
        the applicant a walk-in."""
        for person in self.people:
            if not person.appointment_slot:
                continue
            try:
                booked = self.gateway.post(
                    "/api/v1/queue/appointments",
                    json={
                        "applicant_id": applicant_id(person),
                        "category": person.category,
                        "day": self.day.isoformat(),
                        "slot": person.appointment_slot,
                    },
                    expect=(201,),
                )
            except PlatformError as exc:  # a full slot, or booking blocked after no-shows: a walk-in
                if " 409 " not in str(exc) and " 403 " not in str(exc):
                    raise
                person.appointment_slot = None
                continue
            self.appointments[person.number] = booked["code"]
            if person.no_show_appointment:
                self.appointment_no_shows[person.category] += 1

    # -- the day ---------------------------------------------------------------------------
    def run(self):
        arrivals = defaultdict(list)
        for person in self.people:
            if not (person.appointment_slot and person.no_show_appointment):
                arrivals[person.arrives].append(person)
        started = last_line = time.monotonic()
        last_report = None
        minute = min(arrivals) if arrivals else None
        while minute is not None:
            self.clock.move_to(minute)
            self.phase([w for w, (end, _) in self.busy_until.items() if end <= minute], self.finish)
            self.phase(arrivals.pop(minute, []), self.arrive)
            while True:  # a window freed by a no-show calls again in the same minute
                free = self.free_windows()
                if not free:
                    break
                self.phase(free, self.call, minute)
            if (
                last_report is None
                or minute.hour != last_report.hour
                or time.monotonic() - last_line > PROGRESS_SECONDS
            ):
                last_report, last_line = minute, time.monotonic()
                self.progress(
                    f"{minute.astimezone(self.tz):%H:%M}  tickets {len(self.by_ticket)}  waiting "
                    f"{sum(self.waiting.values())}  at windows {len(self.busy_until)}  "
                    f"({time.monotonic() - started:.0f} s)"
                )
            moments = [m for m in arrivals] + [end for end, _ in self.busy_until.values()]
            minute = min(moments) if moments else None
        self.pool.shutdown()
        self.counters.shutdown()

    def phase(self, things, step, *args):
        for future in [self.pool.submit(step, thing, *args) for thing in things]:
            future.result()

    def free_windows(self):
        """Free windows with one of the simulator's tickets waiting in their category, at most
        as many per category as wait."""
        free, wanted = [], Counter(self.waiting)
        for window, (category, _) in sorted(self.hall.windows.items()):
            if window not in self.busy_until and wanted[category] > 0:
                wanted[category] -= 1
                free.append(window)
        return free

    def arrive(self, person):
        body = (
            {"appointment_code": self.appointments[person.number]}
            if person.number in self.appointments
            else {"category": person.category, "priority": person.priority, "applicant_id": applicant_id(person)}
        )
        ticket = self.gateway.post("/api/v1/queue/tickets", json=body, expect=(201,))
        self.ledger.ticket(ticket, person.number)
        with self.ledger.lock:
            self.by_ticket[ticket["ticket_id"]] = person
            self.waiting[ticket["category"]] += 1

    def call(self, window, minute):
        clerk = self.hall.windows[window][1]
        ticket = self.gateway.post(f"/api/v1/queue/windows/{window}/call", as_user=clerk, expect=(200, 204))
        if ticket is None:
            raise RuntimeError(f"window {window} found nobody although the simulator's tickets wait")
        person = self.by_ticket.get(ticket["ticket_id"])
        if person is None:  # another day's ticket left in the category: it is no longer here
            self.gateway.post(f"/api/v1/queue/windows/{window}/no-show", as_user=clerk)
            return
        with self.ledger.lock:
            self.waiting[ticket["category"]] -= 1
        self.ledger.ticket_moved(ticket)
        if person.walks_away:
            gone = self.gateway.post(f"/api/v1/queue/windows/{window}/no-show", as_user=clerk)
            self.ledger.ticket_moved(gone, "no_show")
            return
        # Nobody presses "start": the service is counted from the call, as the platform does then.
        with self.ledger.lock:
            self.busy_until[window] = (minute + timedelta(minutes=person.service_minutes), person)
            self.at_window[window] = self.counters.submit(self.apply, person, clerk, minute, ticket["ticket_id"])

    def apply(self, person, clerk, minute, ticket_id):
        """At the window: the application (统一受理) and the clerk's answer."""
        item = person.item
        receipt = self.gateway.post(
            "/api/v1/cases",
            json={
                "item_code": item.code,
                "applicant": person.applicant,
                "materials": list(item.materials),
                "form": form_answers(self.hall.forms[item.code], self.day),
            },
            headers={"Idempotency-Key": f"sim-{self.run_id}-{person.number:05d}"},
            expect=(201,),
        )
        case = self.ledger.case(receipt, item, person.number, minute)
        self.gateway.post(f"/api/v1/queue/tickets/{ticket_id}/case", as_user=clerk, json={"case_no": case.case_no})
        self.cases.intake(case, person, clerk, minute)

    def finish(self, window):
        self.at_window.pop(window).result()
        clerk = self.hall.windows[window][1]
        done = self.gateway.post(f"/api/v1/queue/windows/{window}/finish", as_user=clerk)
        self.ledger.ticket_moved(done, "served")
        with self.ledger.lock:
            del self.busy_until[window]


def applicant_id(person):
    return person.applicant.get("id_number") or person.applicant["credit_code"]
