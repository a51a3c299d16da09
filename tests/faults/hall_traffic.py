"""Traffic for the fault suite and the soak: cases driven through the gateway by client
threads, each as the hall handles it, with a ticket taken and called at a window beside it.

Three kinds of case, in turn:

- ``immediate`` (MR-001): the clerk accepts, the chief approves → completed, approved;
- ``fee`` (NR-001): accepted, reviewed, approved, and the fee paid at the bank window by the
  cashier → completed, approved, one payment applied;
- ``refused`` (MR-001): refused at intake → refused.

MR-001's diagram is deployed with a one-second reminder on the intake window (a timer), and
the clerk takes up each of its cases once the reminder has fired: it fires exactly once.

Every request that changes something carries its own key (``Idempotency-Key`` for a case
and a task, the bank's transaction id for a payment), and a 5xx answer or a refused
connection is tried again with the same key until it passes: what a careful client does
during an outage. Each 5xx answer is kept (status, type, Retry-After) for the checks, and
``verify`` reads the store afterwards: the states the steps imply, nothing lost, nothing
done twice.
"""

import json
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pymongo
import requests

KINDS = ("immediate", "fee", "immediate", "refused")
FLOWS = {  # kind → item, materials, the steps (user, element, data) after submission, end state
    "immediate": (
        "MR-001",
        ["application_form", "id_card"],
        [
            ("clerk", "accept", {"intake_decision": "accept"}),
            ("chief", "decide", {"decision": "approved", "opinion": "同意"}),
        ],
        ("completed", "approved"),
    ),
    "fee": (
        "NR-001",
        ["application_form", "id_card", "ownership_source"],
        [
            ("clerk", "accept", {"intake_decision": "accept"}),
            ("nr_reviewer", "review", {"review_result": "pass"}),
            ("nr_chief", "decide", {"decision": "approved", "opinion": "同意"}),
        ],
        ("completed", "approved"),
    ),
    "refused": (
        "MR-001",
        ["application_form", "id_card"],
        [("clerk", "accept", {"intake_decision": "refuse", "reason": "不符合受理条件"})],
        ("refused", "refused"),
    ),
}
APPLICANT = {"kind": "person", "name": "周八", "id_number": "11010519491231002X"}
# A reminder one second after a case reaches the intake window, once (non-interrupting).
REMINDER = (
    '<bpmn:boundaryEvent id="remind" attachedToRef="accept" cancelActivity="false">'
    "<bpmn:outgoing>Flow_remind</bpmn:outgoing><bpmn:timerEventDefinition>"
    '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT1S</bpmn:timeDuration>'
    "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    '<bpmn:endEvent id="reminded"><bpmn:incoming>Flow_remind</bpmn:incoming></bpmn:endEvent>'
    '<bpmn:sequenceFlow id="Flow_remind" sourceRef="remind" targetRef="reminded" />'
)
REMINDED_ITEM = "MR-001"  # its diagram has the reminder: each of its cases waits for it to fire
QUEUE_CATEGORY = "C"
FIRST_WINDOW = 41  # windows of the traffic's own, one per client thread
STEP_SECONDS = 240  # how long one step may take, outages included, before the run fails
TIMEOUT_SECONDS = 30
INTERRUPTED_LOOK_SECONDS = 15  # how long an interrupted completion may still be finishing


def problem_status(answer):
    """The ``status`` of a problem body, or None when the body is not a problem."""
    try:
        body = answer.json()
    except ValueError:
        return None
    return body.get("status") if isinstance(body, dict) and {"type", "title", "detail"} <= set(body) else None


class StepFailed(AssertionError):
    """A step answered what no outage explains (a 4xx it should not get, or never passed)."""


class Traffic:
    def __init__(self, url, store_uri, repo_root, workers=4, password="demo"):
        self.url, self.workers, self.password = url, workers, password
        self.store = pymongo.MongoClient(store_uri, serverSelectionTimeoutMS=5000)
        self.repo_root = repo_root
        self.run = uuid.uuid4().hex[:10]
        self.local = threading.local()
        self.lock = threading.Lock()
        self.tokens = {}
        # (monotonic time, method, path, status, content type, Retry-After, the body's status)
        self.server_errors = []
        self.refused = 0  # connections refused or broken (the gateway away)
        self.cases = {}  # case_no → kind
        self.tickets = set()  # ticket ids the traffic was given at the kiosk
        self.called = []  # ticket ids the windows were given by their calls
        self.done = 0
        self.failures = []
        self.sessions = []
        self.interrupted = []  # tasks whose completion was interrupted by a crash (409), looked at

    # -- HTTP -------------------------------------------------------------------------------
    @property
    def session(self):
        if getattr(self.local, "session", None) is None:
            self.local.session = requests.Session()
            with self.lock:
                self.sessions.append(self.local.session)
        return self.local.session

    def close(self):
        """Its keep-alive connections closed (a gateway stopping waits for open ones)."""
        for session in self.sessions:
            session.close()
        self.store.close()

    def token(self, user):
        with self.lock:
            known = self.tokens.get(user)
        if known is None:
            known = self.call("POST", "/api/v1/auth/token", json={"username": user, "password": self.password}).json()[
                "access_token"
            ]
            with self.lock:
                self.tokens[user] = known
        return known

    def call(self, method, path, user=None, headers=None, **kwargs):
        """The first answer below 500 (the caller judges it); 5xx answers and refused
        connections are tried again."""
        deadline = time.monotonic() + STEP_SECONDS
        while time.monotonic() < deadline:
            sent = dict(headers or {})
            if user:
                sent["Authorization"] = f"Bearer {self.token(user)}"
            try:
                answer = self.session.request(method, self.url + path, headers=sent, timeout=TIMEOUT_SECONDS, **kwargs)
            except requests.RequestException:
                with self.lock:
                    self.refused += 1
                self.local.session.close()
                self.local.session = None
                time.sleep(0.5)
                continue
            if answer.status_code >= 500:
                with self.lock:
                    self.server_errors.append(
                        (
                            time.monotonic(),
                            method,
                            path,
                            answer.status_code,
                            answer.headers.get("Content-Type"),
                            answer.headers.get("Retry-After"),
                            problem_status(answer),
                        )
                    )
                time.sleep(1)
                continue
            if answer.status_code == 401 and user:  # a token the restarted gateway no longer knows
                with self.lock:
                    self.tokens.pop(user, None)
                time.sleep(0.1)
                continue
            return answer
        raise StepFailed(f"{method} {path} did not pass within {STEP_SECONDS} s")

    def expect(self, answer, *statuses):
        if answer.status_code not in statuses:
            raise StepFailed(f"{answer.request.method} {answer.request.path_url}: {answer.status_code} {answer.text}")
        return answer.json() if answer.content and answer.status_code != 204 else None

    def until(self, probe, what):
        deadline = time.monotonic() + STEP_SECONDS
        while time.monotonic() < deadline:
            found = probe()
            if found:
                return found
            time.sleep(0.2)
        raise StepFailed(f"timed out waiting for {what}")

    # -- setting up ---------------------------------------------------------------------------
    def prepare(self):
        """The reminder on the immediate item's diagram, and the traffic's own windows."""
        xml = (self.repo_root / "bpmn" / "immediate_item.bpmn").read_text(encoding="utf-8")
        self.expect(
            self.call(
                "POST",
                "/api/v1/processes",
                "designer",
                json={
                    "xml": xml.replace("</bpmn:laneSet>", "</bpmn:laneSet>" + REMINDER),
                    "filename": "immediate_item.bpmn",
                },
            ),
            200,
            201,
        )
        for window in self.windows():
            self.expect(
                self.call("PUT", f"/api/v1/queue/windows/{window}", "admin", json={"categories": [QUEUE_CATEGORY]}), 200
            )
        return self

    def windows(self):
        return range(FIRST_WINDOW, FIRST_WINDOW + self.workers)

    # -- the cases ----------------------------------------------------------------------------
    def run_cases(self, count, pace=None, stop=None):
        """``count`` cases over ``workers`` threads (at most one started every ``pace``
        seconds, if given), until done or ``stop`` is set; failures are kept."""
        numbers = iter(range(count))
        numbers_lock = threading.Lock()
        started = time.monotonic()

        def worker(window):
            while not (stop and stop.is_set()):
                with numbers_lock:
                    number = next(numbers, None)
                if number is None:
                    return
                if pace:
                    time.sleep(max(0.0, started + number * pace - time.monotonic()))
                try:
                    self.one_case(number, window)
                except Exception as exc:  # kept, and reported by the checks
                    with self.lock:
                        self.failures.append(f"case {number}: {exc!r}")
                with self.lock:
                    self.done += 1

        with ThreadPoolExecutor(self.workers) as pool:
            for future in [pool.submit(worker, window) for window in self.windows()]:
                future.result()

    def one_case(self, number, window):
        kind = KINDS[number % len(KINDS)]
        item, materials, steps, _ = FLOWS[kind]
        ticket = self.expect(self.call("POST", "/api/v1/queue/tickets", json={"category": QUEUE_CATEGORY}), 201)
        with self.lock:
            self.tickets.add(ticket["ticket_id"])
        self.call_at_window(window)
        case = self.expect(
            self.call(
                "POST",
                "/api/v1/cases",
                headers={"Idempotency-Key": f"{self.run}-{number}"},
                json={"item_code": item, "applicant": APPLICANT, "materials": materials},
            ),
            200,
            201,
        )
        case_no = case["case_no"]
        with self.lock:
            self.cases[case_no] = kind
        if item == REMINDED_ITEM:
            self.until(lambda: self.audit([case_no], "timer_fired"), f"the reminder of case {case_no}")
        for user, element, data in steps:
            self.complete(user, case_no, element, data)
        if kind == "fee":
            self.pay(case_no)

    def complete(self, user, case_no, element, data):
        """The task completed with its key. A completion whose service was killed half-way
        leaves its key answering 409 ("still running or was interrupted; look at the task"):
        as told, the task is looked at, and sent again under a new key while it stays open."""
        params = {"case_no": case_no, "element_id": element}

        def open_tasks():
            return self.expect(self.call("GET", "/api/v1/tasks", user, params=params), 200)["tasks"]

        task = self.until(open_tasks, f"{user}'s {element} of case {case_no}")[0]
        for attempt in range(3):
            answer = self.call(
                "POST",
                f"/api/v1/tasks/{task['id']}/complete",
                user,
                json={"data": data},
                headers={"Idempotency-Key": f"{self.run}-{task['id']}-{attempt}"},
            )
            if answer.status_code != 409 or "interrupted" not in answer.text:
                break
            with self.lock:
                self.interrupted.append(task["id"])
            deadline = time.monotonic() + INTERRUPTED_LOOK_SECONDS
            while time.monotonic() < deadline and any(t["id"] == task["id"] for t in open_tasks()):
                time.sleep(0.5)
            if not any(t["id"] == task["id"] for t in open_tasks()):
                return  # the interrupted completion was done
        self.expect(answer, 200)

    def pay(self, case_no):
        def notice():  # 404 until the fee is assessed
            answer = self.call("GET", f"/api/v1/cases/{case_no}/payment", "cashier")
            return answer.json() if answer.status_code == 200 else None

        due = self.until(notice, f"the payment notice of {case_no}")
        self.expect(
            self.call(
                "POST",
                "/api/v1/payments/bank-confirmations",
                "cashier",
                json={
                    "notice_no": due["notice_no"],
                    "bank_txn_id": f"{self.run}-{case_no}",
                    "amount_fen": due["total_fen"],
                },
            ),
            200,
            201,
        )

    def call_at_window(self, window):
        """The window calls its next ticket and finishes with it (a window still holding a
        ticket whose call answer was lost finishes that one first)."""
        while True:
            answer = self.call("POST", f"/api/v1/queue/windows/{window}/call", "window")
            if answer.status_code == 409:
                self.expect(self.call("POST", f"/api/v1/queue/windows/{window}/finish", "window"), 200, 409)
                continue
            called = self.expect(answer, 200, 204)
            if called is None:
                return
            with self.lock:
                self.called.append(called["ticket_id"])
            self.expect(self.call("POST", f"/api/v1/queue/windows/{window}/finish", "window"), 200, 409)
            return

    def drain_windows(self):
        """Every ticket still waiting called and finished (the end of the day)."""
        for window in self.windows():
            while True:
                before = len(self.called)
                self.call_at_window(window)
                if len(self.called) == before:
                    break

    # -- the checks ---------------------------------------------------------------------------
    def audit(self, case_nos, kind):
        """The approval's audit entries of ``kind`` for the cases, from their step records."""
        return [
            dict(entry, case_no=record["case_no"])
            for record in self.store.hall_approval.steps.find({"case_no": {"$in": case_nos}})
            for entry in json.loads(record["body"])["audit"]
            if entry["kind"] == kind
        ]

    def verify(self):
        """What the store says against what the steps imply: ``{check: [offending items]}``,
        every list empty when all is well."""
        intake = self.store.hall_intake
        payment, queue = self.store.hall_payment, self.store.hall_queue
        # A stored key is scoped to its caller (``<scope>:<key>``, docs/api.md).
        stored = {c["case_no"]: c for c in intake.cases.find({"idempotency_key": {"$regex": f":{self.run}-"}})}
        wrong_state = [
            (no, kind, stored[no].get("status"), stored[no].get("outcome"))
            for no, kind in self.cases.items()
            if no in stored and (stored[no].get("status"), stored[no].get("outcome")) != FLOWS[kind][3]
        ]
        completions = Counter((e["case_no"], e["element_id"]) for e in self.audit(list(stored), "task_completed"))
        fired = Counter(e["case_no"] for e in self.audit(list(stored), "timer_fired"))
        fee_cases = [no for no, kind in self.cases.items() if kind == "fee"]
        applied = Counter(p["case_no"] for p in payment.payments.find({"case_no": {"$in": fee_cases}}))
        calls = Counter(self.called)
        tickets = {t["_id"]: t for t in queue.tickets.find({"category": QUEUE_CATEGORY})}
        return {
            "cases lost (submitted, not stored)": sorted(set(self.cases) - set(stored)),
            "cases stored the traffic never heard of": sorted(set(stored) - set(self.cases)),
            "cases not in the state their steps imply": wrong_state,
            "tasks completed twice": sorted(key for key, n in completions.items() if n > 1),
            "payments other than one per fee case": sorted((no, applied[no]) for no in fee_cases if applied[no] != 1),
            "timers fired other than once": sorted(
                (no, fired[no]) for no, kind in self.cases.items() if fired[no] != (FLOWS[kind][0] == REMINDED_ITEM)
            ),
            "tickets called twice": sorted(t for t, n in calls.items() if n > 1),
            "tickets issued to the traffic and lost": sorted(self.tickets - set(tickets)),
            "tickets not called exactly once": sorted(
                (t, doc["state"], doc.get("calls"))
                for t, doc in tickets.items()
                if doc["state"] != "finished" or doc.get("calls") != 1
            ),
            "steps that failed": self.failures,
        }

    def bad_server_errors(self):
        """5xx answers other than a 503 problem with Retry-After (the broker, the store or the
        service out of reach, or a call in flight when its service was killed, which the
        restarted instance may still carry out)."""
        return [
            error
            for error in self.server_errors
            if error[3] != 503 or error[4] != "application/problem+json" or not error[5] or error[6] != 503
        ]
