"""The cases after the window, over the simulated day and the following working days: the
clerk's answer at intake, applicants bringing supplements back, reviewers and chief
representatives working their lists (joint registrations by four departments in parallel),
fees paid at the bank window by signed bank confirmations, results collected, evaluations
(好差评), complaints (some through the investor hotline), and supervisors acting on warnings
and accountability records.

A working day's stops (Asia/Shanghai): 09:00 supplements brought back, 11:00 reviews and
decisions due, 14:00 the bank window, 15:00 collections, evaluations and complaints, 16:00
supervision. The simulated day itself ends with decisions at 17:30, aftercare at 17:45 and
supervision at 18:00. A case made late is decided the working day after its deadline, once
supervision has filed its accountability record.

At each supervision stop the warnings the platform shows on the simulation's cases are
compared with the ledger's (figures of the proof), and the supervisors act on them: a case
seen at yellow for the first time is urged (督办), and where the applicant's draw says so its
department's chief representative approves an extension (延期) of ``EXTENSION_DAYS``; a red
one gets its accountability record, which the supervisor acknowledges, and closes once the
case is decided."""

import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from datetime import time as clock_time

from sim.compare import Figure
from sim.day import PROGRESS_SECONDS, complete, open_task
from sim.hall import JOINT_DEPARTMENTS

RECORD_TIMEOUT_SECONDS = 30
WARNINGS_SETTLE_SECONDS = 30  # the monitor hears of the day's decisions by events, a moment later
EXTENSION_DAYS = 2
WORKLIST_PAGE = 200
SUPERVISOR = "supervisor"
COLLECTING_CLERK = "clerk"


def worklist(gateway, user, wanted):
    """The user's open tasks by case number (one per case: a person has one step of a case),
    read page by page until those of the cases ``wanted`` are all there. The platform reads
    the whole list for every page, so a provincial hall's list of thousands costs pages ×
    its length; ordered by due time, it often holds the cases due before its end."""
    tasks, offset, missing = {}, 0, set(wanted)
    while missing:
        page = gateway.get("/api/v1/tasks", as_user=user, params={"limit": WORKLIST_PAGE, "offset": offset})
        for task in page["tasks"]:
            tasks.setdefault(task["case_no"], task)
            missing.discard(task["case_no"])
        offset += len(page["tasks"])
        if not page["tasks"] or offset >= page["total"]:
            break
    return tasks


class BackOffice:
    def __init__(self, gateway, clock, hall, ledger, calendar, tz, progress, workers=6):
        self.gateway, self.clock, self.hall, self.ledger = gateway, clock, hall, ledger
        self.calendar, self.tz, self.progress = calendar, tz, progress
        self.workers = workers
        self.people = {}
        self.agenda = defaultdict(lambda: defaultdict(list))  # day → stop → cases
        self.lock = threading.Lock()
        self.warnings_seen = defaultdict(set)  # level → case numbers
        self.figures = []  # the warnings at each supervision stop, the ledger's and the platform's
        self.started = time.monotonic()

    def plan(self, day, stop, case):
        with self.lock:
            self.agenda[day][stop].append(case)

    # -- at the window ---------------------------------------------------------------------
    def intake(self, case, person, clerk, moment):
        """The clerk's answer to an application (统一受理), at ``moment`` on the floor."""
        task = open_task(self.gateway, clerk, case.case_no, "accept")[0]
        self.people[case.case_no] = person
        day = moment.astimezone(self.tz).date()
        if person.intake == "refuse":
            complete(self.gateway, clerk, task, {"intake_decision": "refuse", "reason": "不符合受理条件"})
            case.refused_at_intake = True
            self.plan(day, "aftercare", case)
        elif person.intake == "supplement" and not case.supplements_requested:
            complete(
                self.gateway,
                clerk,
                task,
                {
                    "intake_decision": "supplement",
                    "reason": "材料不清晰",
                    "missing_materials": person.item.materials[0],
                },
            )
            case.supplements_requested.append(moment)
            if person.supplement_back:
                self.plan(self.calendar.next_workday(day), "supplements", case)
        else:
            complete(self.gateway, clerk, task, {"intake_decision": "accept"})
            self.ledger.accepted(case, moment)
            limit = person.item.limit_days
            after = limit + 1 if person.late else person.decide_after_workdays
            self.plan(self.calendar.add_workdays(day, after), "decide", case)

    # -- the days --------------------------------------------------------------------------
    def run(self, first_day):
        """The simulated day's evening, then every working day until nothing is left to do."""
        self.stop(first_day, "17:30", "decide")
        self.stop(first_day, "17:45", "aftercare")
        self.supervise(first_day, "18:00")
        day = first_day
        while any(d > day for d, stops in self.agenda.items() if any(stops.values())):
            day = self.calendar.next_workday(day)
            self.stop(day, "09:00", "supplements")
            self.stop(day, "11:00", "decide")
            self.stop(day, "14:00", "pay")
            self.stop(day, "15:00", "aftercare")
            self.supervise(day, "16:00")
        return day

    def at(self, day, hhmm):
        return datetime.combine(day, clock_time.fromisoformat(hhmm), tzinfo=self.tz)

    def stop(self, day, hhmm, what):
        with self.lock:
            cases = self.agenda[day].pop(what, [])
        if not cases:
            return
        moment = self.at(day, hhmm)
        self.clock.move_to(moment, settle=True)
        self.progress(f"{moment:%Y-%m-%d %H:%M}  {what}: {len(cases)} case(s)  ({self.elapsed()})")
        if what == "decide":
            self.decide(cases, moment)
            return
        step = getattr(self, what)
        self.each(what, [(step, case, moment) for case in cases])

    def each(self, what, calls):
        """``calls`` (a function and its arguments each) run concurrently, with a line of
        progress at least every ``PROGRESS_SECONDS`` (a provincial hall's stop takes minutes)."""
        last_line = time.monotonic()
        with ThreadPoolExecutor(self.workers) as pool:
            futures = [pool.submit(*call) for call in calls]
            for done, future in enumerate(futures, 1):
                future.result()
                if time.monotonic() - last_line > PROGRESS_SECONDS:
                    last_line = time.monotonic()
                    self.progress(f"    {what}: {done} of {len(futures)} done  ({self.elapsed()})")

    # -- steps -----------------------------------------------------------------------------
    def supplements(self, case, moment):
        """The applicant brings the missing material back (online) and the clerk accepts."""
        person = self.people[case.case_no]
        self.gateway.post(
            f"/api/v1/public/cases/{case.case_no}/supplements",
            json={"query_code": case.query_code, "materials": [person.item.materials[0]]},
        )
        case.supplements_received.append(moment)
        person.intake = "accept"
        self.intake(case, person, COLLECTING_CLERK, moment)

    def decide(self, cases, moment):
        """Reviews, then decisions: each reviewer and chief reads their work list once and
        completes the tasks of the cases due (a joint registration's four reviews in parallel)."""
        self.await_records(
            [
                case
                for case in cases  # the platform holds a case to account past its deadline
                if self.people[case.case_no].late and case.deadline is not None and moment >= case.deadline
            ]
        )
        reviews = defaultdict(list)  # reviewer → cases
        for case in cases:
            item = self.people[case.case_no].item
            if item.process_key in ("promised_item", "fee_item"):
                reviews[self.hall.reviewer(item.department)].append(case)
            elif item.process_key == "joint_registration":
                for department in JOINT_DEPARTMENTS:
                    reviews[self.hall.reviewer(department)].append(case)
        self.work(
            "reviews",
            reviews,
            lambda task: (
                {"review_result": "pass", "review_opinion": "符合条件"}
                if task["element_id"] == "review"
                else {f"{task['element_id']}_result": "pass"}
            ),
        )
        decisions = defaultdict(list)
        for case in cases:
            decisions[self.hall.chief(case.department)].append(case)
        self.work(
            "decisions",
            decisions,
            lambda task: {
                "decision": self.people[task["case_no"]].decision,
                "opinion": "同意" if self.people[task["case_no"]].decision == "approved" else "不予许可",
            },
        )
        day = moment.astimezone(self.tz).date()
        pay_day = day if moment < self.at(day, "14:00") else self.calendar.next_workday(day)
        for case in cases:
            person = self.people[case.case_no]
            if person.item.process_key == "fee_item" and person.decision == "approved":
                self.plan(pay_day, "pay", case)  # the bank window: at 14:00, the next working day after it
            else:
                case.decided_at, case.outcome = moment, person.decision
                self.plan(day, "aftercare", case)

    def work(self, what, lists, data_of):
        """Each person's open task of each of their cases, completed with ``data_of(task)``."""
        jobs = []
        for user, cases in lists.items():
            listed = worklist(self.gateway, user, [case.case_no for case in cases])
            for case in cases:
                task = listed.get(case.case_no) or open_task(self.gateway, user, case.case_no)[0]
                jobs.append((complete, self.gateway, user, task, data_of(task)))
        self.each(what, jobs)

    def await_records(self, cases):
        """Late cases are decided only once supervision has held them to account: the records
        are read once for all of them (and again while some are missing, until none has come
        for ``RECORD_TIMEOUT_SECONDS``), not once per case."""
        missing = {case.case_no for case in cases}
        deadline = time.monotonic() + RECORD_TIMEOUT_SECONDS
        while missing:
            found = missing & {record["case_no"] for record in self.records()}
            if found:
                missing -= found
                deadline = time.monotonic() + RECORD_TIMEOUT_SECONDS
            if not missing or time.monotonic() > deadline:
                return
            time.sleep(0.5)

    def pay(self, case, moment):
        """At the bank window: the payment notice, paid by a signed bank confirmation."""
        notice = self.gateway.get(f"/api/v1/cases/{case.case_no}/payment", as_user="cashier")
        self.gateway.bank_confirmation(
            {"notice_no": notice["notice_no"], "bank_txn_id": f"SIM{case.case_no}", "amount_fen": notice["total_fen"]}
        )
        self.ledger.payment(case, self.people[case.case_no].item.fee_fen, moment)
        case.decided_at, case.outcome = moment, "approved"
        self.plan(moment.astimezone(self.tz).date(), "aftercare", case)

    def aftercare(self, case, moment):
        """Collection (出件), the evaluation and perhaps a complaint."""
        person = self.people[case.case_no]
        if case.outcome == "approved":
            self.gateway.post(
                f"/api/v1/cases/{case.case_no}/collection", as_user=COLLECTING_CLERK, json={"how": "in_person"}
            )
            case.collected = True
        if person.evaluation is not None:
            self.gateway.post(
                "/api/v1/evaluations",
                json={"case_no": case.case_no, "query_code": case.query_code, "level": person.evaluation},
            )
            case.evaluation, case.evaluated_at = person.evaluation, moment
        if person.complaint:
            channel = "hotline" if person.complaint == "investor_hotline" else "public"
            filed = self.gateway.post(
                "/api/v1/complaints",
                json={
                    "category": person.complaint,
                    "channel": channel,
                    "content": "模拟投诉：办理过程有待改进",
                    "case_no": case.case_no,
                    "department": case.department,
                },
            )
            with self.ledger.lock:
                self.ledger.complaints[filed["complaint_no"]] = (person.complaint, channel, "received")

    # -- supervision -----------------------------------------------------------------------
    def elapsed(self):
        return f"{time.monotonic() - self.started:.0f} s"

    def warnings(self, moment):
        """The platform's warnings on the simulation's cases, ``{case_no: level}``, once they are
        the ledger's at ``moment`` (or after ``WARNINGS_SETTLE_SECONDS``); both are kept as
        figures of the proof."""
        expected = self.ledger.warnings(moment)
        ends = time.monotonic() + WARNINGS_SETTLE_SECONDS
        while True:
            reported = {
                w["case_no"]: w["level"]
                for w in self.gateway.get("/api/v1/supervision/warnings", as_user=SUPERVISOR)["warnings"]
                if w["case_no"] in self.ledger.cases
            }
            if reported == expected or time.monotonic() > ends:
                break
            time.sleep(0.5)
        for level in ("yellow", "red"):
            self.figures.append(
                Figure(
                    f"warnings {moment:%Y-%m-%d %H:%M} {level}",
                    sorted(no for no, at in expected.items() if at == level),
                    sorted(no for no, at in reported.items() if at == level),
                )
            )
        return reported

    def records(self):
        return [
            r
            for r in self.gateway.get("/api/v1/supervision/accountability", as_user=SUPERVISOR)["records"]
            if r["case_no"] in self.ledger.cases
        ]

    def supervise(self, day, hhmm):
        """The supervisors: complaints accepted, warnings acted on, records acknowledged and closed."""
        moment = self.at(day, hhmm)
        self.clock.move_to(moment, settle=True)
        for number, (category, channel, status) in list(self.ledger.complaints.items()):
            if status == "received":
                self.gateway.post(
                    f"/api/v1/complaints/{number}/transitions", as_user=SUPERVISOR, json={"to": "accepted"}
                )
                self.ledger.complaints[number] = (category, channel, "accepted")
        warnings, extended = self.warnings(moment), 0
        for case_no, level in sorted(warnings.items()):
            case = self.ledger.cases[case_no]
            if (
                level == "yellow"
                and case_no not in self.warnings_seen["yellow"]
                and (self.people[case_no].extended_at_yellow)
            ):
                self.gateway.post(
                    f"/api/v1/supervision/cases/{case_no}/extensions",
                    as_user=self.hall.chief(case.department),
                    json={"days": EXTENSION_DAYS, "reason": "经督办，批准延期 (urged at yellow)"},
                    expect=(201,),
                )
                self.ledger.extended(case, EXTENSION_DAYS)
                extended += 1
            self.warnings_seen[level].add(case_no)
        levels = list(warnings.values())
        self.progress(
            f"{moment:%Y-%m-%d %H:%M}  supervision: {levels.count('yellow')} yellow "
            f"({extended} extended), {levels.count('red')} red  ({self.elapsed()})"
        )
        for record in self.records():
            case = self.ledger.cases[record["case_no"]]
            if record["status"] == "open":
                self.gateway.post(f"/api/v1/supervision/accountability/{case.case_no}/acknowledge", as_user=SUPERVISOR)
                case.record_status = "acknowledged"
            elif record["status"] == "acknowledged" and case.decided_at is not None:
                self.gateway.post(
                    f"/api/v1/supervision/accountability/{case.case_no}/close",
                    as_user=SUPERVISOR,
                    json={"resolution": "已约谈窗口负责人，办件已办结"},
                )
                case.record_status = "closed"
