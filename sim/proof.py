"""The proof: the ledger's figures next to the platform's own reports (GET /api/v1/stats,
/api/v1/queue/stats, /api/v1/cases, supervision's accountability records, the complaints,
/api/v1/payments/stats), for the simulated period. Only the simulator's own cases, tickets
and complaints are counted on the platform's side where a list names them, so a shared
platform's other activity does not enter; the period is chosen days ahead for the rest."""

import time
from collections import Counter
from datetime import timedelta

from sim.compare import Figure, differences, figures, keyed
from sim.ledger import instant

CASE_FIELDS = (
    "submitted",
    "supplement_requests",
    "supplements_received",
    "decided",
    "decided_on_time",
    "on_time_rate",
    "evaluations",
    "good_evaluations",
    "satisfaction_rate",
)
QUEUE_FIELDS = (
    "issued",
    "called",
    "served",
    "no_shows",
    "abandoned",
    "appointment_no_shows",
    "mean_wait_minutes",
    "p90_wait_minutes",
    "mean_service_minutes",
)
CASE_STATUSES = ("submitted", "awaiting_supplements", "accepted", "refused", "completed", "collected")
SUPERVISOR = "supervisor"


def expected_status(case):
    if case.refused_at_intake:
        return "refused"
    if len(case.supplements_requested) > len(case.supplements_received):
        return "awaiting_supplements"
    if case.decided_at is None:
        return "accepted"
    return "collected" if case.collected else "completed"


class Proof:
    def __init__(self, gateway, ledger, first_day, last_day, appointment_no_shows):
        self.gateway, self.ledger = gateway, ledger
        self.first_day, self.last_day = first_day, last_day
        self.appointment_no_shows = appointment_no_shows

    def days(self):
        day = self.first_day
        while day <= self.last_day:
            yield day
            day += timedelta(days=1)

    def gather(self):
        stats = self.gateway.get(
            "/api/v1/stats",
            as_user=SUPERVISOR,
            params={"first_day": self.first_day.isoformat(), "last_day": self.last_day.isoformat()},
        )
        records = [
            r
            for r in self.gateway.get("/api/v1/supervision/accountability", as_user=SUPERVISOR)["records"]
            if r["case_no"] in self.ledger.cases
        ]
        return (
            self.cases(stats)
            + self.accountability(records)
            + self.extensions()
            + self.statuses()
            + self.queue()
            + self.payments()
            + self.complaints()
        )

    def settled(self, seconds):
        """The figures once the platform has caught up with its events (or after ``seconds``):
        the monitor counts from events, the queue's day counts follow its replies, the queue's
        sweep records appointments not kept once a minute."""
        ends = time.monotonic() + seconds
        while True:
            found = self.gather()
            if not differences(found) or time.monotonic() > ends:
                return found
            time.sleep(2)

    def cases(self, stats):
        mine = self.ledger.case_figures(self.first_day, self.last_day)
        return (
            figures("cases hall", mine["hall"], stats["hall"], CASE_FIELDS)
            + keyed("cases department", mine["by_department"], stats["by_department"], CASE_FIELDS)
            + keyed("cases item", mine["by_item"], stats["by_item"], CASE_FIELDS)
            + figures(
                "queue period",
                self.ledger.period_waits(self.first_day, self.last_day),
                stats["queue"],
                ("called", "average_wait_seconds"),
            )
        )

    def statuses(self):
        """Cases per status (supplements awaited, refused, completed, collected), by intake's search."""
        mine = Counter(expected_status(c) for c in self.ledger.cases.values())
        found = []
        for status in CASE_STATUSES:
            answer = self.gateway.get(
                "/api/v1/cases",
                as_user=SUPERVISOR,
                params={
                    "status": status,
                    "submitted_from": self.first_day.isoformat(),
                    "submitted_to": self.first_day.isoformat(),
                    "page_size": 1,
                },
            )
            found.append(Figure(f"cases status {status}", mine[status], answer["total"]))
        return found

    def queue(self):
        day = self.first_day.strftime("%Y%m%d")
        rows = {
            r["category"]: r
            for r in self.gateway.get(
                "/api/v1/queue/stats", as_user=SUPERVISOR, params={"day": self.first_day.isoformat()}
            )["categories"]
        }
        mine = self.ledger.queue_figures(day, self.appointment_no_shows)
        rows = {k: v for k, v in rows.items() if k in mine or v["issued"]}
        return keyed("queue", mine, rows, QUEUE_FIELDS)

    def accountability(self, records):
        expected = self.ledger.accountability()
        found = [Figure("accountability records", len(expected), len(records))]
        departments = {c.department for c in self.ledger.cases.values()}
        mine = Counter(c.department for c in expected.values())
        found += keyed(
            "accountability",
            {d: {"records": mine[d]} for d in departments},
            {d: {"records": n} for d, n in Counter(r["department"] for r in records).items()},
            ("records",),
        )
        statuses = Counter(c.record_status or "open" for c in expected.values())
        reported = Counter(r["status"] for r in records)
        found += figures("accountability status", statuses, reported, ("open", "acknowledged", "closed"))
        found.append(Figure("accountability cases", sorted(expected), sorted(r["case_no"] for r in records)))
        return found

    def extensions(self):
        """The cases extended when the supervisors urged them at yellow: working days granted
        and the deadline, as supervision stands each case."""
        mine, reported = {}, {}
        for case_no, case in sorted(self.ledger.cases.items()):
            if case.extension_days:
                mine[case_no] = (case.extension_days, case.deadline)
                standing = self.gateway.get(f"/api/v1/supervision/cases/{case_no}", as_user=SUPERVISOR)
                reported[case_no] = (sum(e["days"] for e in standing["extensions"]), instant(standing["deadline"]))
        return [Figure("extended cases (days, deadline)", mine, reported)]

    def payments(self):
        found = []
        for day in self.days():
            mine = self.ledger.payment_figures(day.isoformat())
            answer = self.gateway.get("/api/v1/payments/stats", as_user=SUPERVISOR, params={"day": day.isoformat()})
            if not mine["items"] and not answer["items"]:
                continue
            found.append(Figure(f"payments {day} paid_fen", mine["paid_fen"], answer["paid_fen"]))
            found += keyed(
                f"payments {day}",
                {f"{d}/{i}": row for (d, i), row in mine["items"].items()},
                {f"{r['department']}/{r['item_code']}": r for r in answer["items"]},
                ("paid_fen", "paid_count"),
            )
        return found

    def complaints(self):
        listed = self.gateway.get("/api/v1/complaints", as_user=SUPERVISOR)["complaints"]
        reported = Counter(
            (c["category"], c["channel"], c["status"]) for c in listed if c["complaint_no"] in self.ledger.complaints
        )
        mine = self.ledger.complaint_figures()
        return [
            Figure(f"complaints {'/'.join(key)}", mine[key], reported[key]) for key in sorted(set(mine) | set(reported))
        ]
