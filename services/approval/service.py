"""The approval service: runs every item's BPMN process with SpiffWorkflow."""

from datetime import timedelta

from nameko.events import BROADCAST, EventDispatcher
from nameko.timer import timer

from services.approval import completion_requests, migration, roles, scheduler, staff, test_runs
from services.approval.definitions import DefinitionRegistry
from services.approval.instances import InstanceRepository, StoredCases
from services.approval.upgrade import upgrade_stored_instances
from services.common import platform_service
from services.common.contracts import events
from services.common.entrypoints import AfterReply, event_handler, rpc
from services.common.idempotency import idempotent
from services.common.time import utcnow
from services.common.tracing import current_request_id

# The outbox sweep: events a replica saved but did not dispatch (it stopped in between) go
# out after this grace, which leaves the replica itself time to dispatch them.
OUTBOX_SWEEP_SECONDS = 15
OUTBOX_GRACE = timedelta(seconds=10)
# How often expired test runs are removed (they are kept test_runs.RETENTION).
TEST_RUN_SWEEP_SECONDS = 3600


def open_processes(config):
    """The instance repository, with ``bpmn/`` deployed (identical content is no new version)
    and instances stored by an earlier release brought to the current shape."""
    definitions = DefinitionRegistry()
    definitions.deploy_directory(config["BPMN_DIR"], utcnow())
    upgrade_stored_instances(definitions, utcnow())
    return InstanceRepository(definitions)


class ApprovalService(platform_service.PlatformService):
    name = "approval"

    processes = scheduler.ProcessStore(open_processes)
    timer_alarm = scheduler.TimerAlarm()
    dispatch = EventDispatcher()
    later = AfterReply()

    @rpc
    @idempotent
    def deploy_process(self, xml, filename="diagram.bpmn", dmn=(), forms=None):
        definition, created = self.processes.definitions.deploy(xml, filename, utcnow(), dmn or (), forms or {})
        return dict(definition, created=created)

    @rpc
    def validate_process(self, xml, filename="diagram.bpmn", dmn=(), forms=None):
        """The deployment's checks alone: nothing is stored."""
        self.processes.definitions.validate(xml, filename, dmn or (), forms or {})
        return {"valid": True}

    @rpc
    def list_processes(self):
        return self.processes.definitions.list()

    @rpc
    def list_process_versions(self, key):
        return self.processes.definitions.versions(key)

    @rpc
    def get_process_xml(self, key, version):
        return self.processes.definitions.xml(key, version)

    @rpc
    def get_role_mapping(self, key):
        return self.processes.definitions.roles(key)

    @rpc
    @idempotent
    def set_role_mapping(self, key, entries, rev, user):
        """Replace a process key's role mapping; its running cases follow it at once."""
        self.processes.definitions.roles(key)  # NotFound for a key never deployed
        roles.set_mapping(key, entries, rev, user["username"], utcnow(), current_request_id())
        self._announce(self.processes.apply_role_mapping(key, user["username"], utcnow()))
        return self.processes.definitions.roles(key)

    @rpc
    def plan_migration(self, key, from_version, to_version, element_map=None):
        """The dry run: which running cases of a version would move to another, and why not."""
        return self._migrations().plan(key, from_version, to_version, element_map or {})

    @rpc
    @idempotent
    def migrate_instances(self, key, from_version, to_version, element_map, user):
        """Move the movable running cases of a version to another, one audit entry each."""
        report, announcements = self._migrations().migrate(
            key, from_version, to_version, element_map or {}, user["username"], utcnow()
        )
        self._announce(announcements)
        return report

    def _migrations(self):
        return migration.Migrations(self.processes.definitions, StoredCases(self.processes))

    @rpc
    def sync_staff(self, members, complete=False):
        """The gateway's staff roster (``staff.py``): every member, or those that changed."""
        active = staff.sync(members, complete)
        self.processes.staff.forget()
        return {"active": active}

    @rpc
    def list_tasks(self, user):
        return self.processes.tasks_for(user)

    @rpc
    def work_list(self, user, filters=None, limit=50, offset=0):
        return self.processes.work_list(user, filters, limit, offset)

    @rpc
    def get_task(self, task_id, user):
        return self.processes.get_task(task_id, user)

    @rpc
    def complete_task(self, task_id, data, user, idempotency=None):
        """Complete a task; with ``idempotency`` a repeat returns the first answer."""
        return completion_requests.complete_once(
            self.requests, idempotency, task_id, lambda key: self._complete(task_id, data, user, key)
        )

    def _complete(self, task_id, data, user, request_key):
        """The step is saved, its events in the instance's outbox, before the answer; they go
        out after it (``later``): the person at the window does not wait for the broker's
        confirms of events other services consume. A replica that stops in between leaves
        them to the sweep, as it would between its save and its dispatch."""
        answer, announcements = self.processes.complete(task_id, data, user, utcnow(), request_key)
        self.later(self._announce, announcements)
        return answer

    @rpc
    def correlate_message(self, case_no, name, data, message_id=None):
        """Deliver a message to the case's process now, or keep it until the process waits for it."""
        delivered, announcements = self.processes.correlate(case_no, name, data or {}, utcnow(), message_id)
        self._announce(announcements)
        return {"case_no": case_no, "name": name, "delivered": delivered}

    @rpc
    @idempotent
    def deliver_message(self, case_no, name, data, message_id, sender):
        """A department's message for a case's process (``POST /api/v1/cases/{no}/messages/{name}``)."""
        answer, announcements = self.processes.deliver(case_no, name, data or {}, message_id, sender, utcnow())
        self._announce(announcements)
        return answer

    @rpc
    def get_case_process(self, case_no, viewer):
        return self.processes.process_view(case_no, viewer)

    @rpc
    def case_progress(self, case_no):
        """Where a case's process stands, for the applicant's timeline (intake keeps no copy of
        the steps): None before it starts, else ``{case_no, rev, status (in_progress |
        completed), current_step, outcome, moved_at, steps: [{element_id, name, by, at}]}``,
        ``steps`` being the user tasks completed, oldest first."""
        progress, steps = self.processes.progress(case_no)
        if progress is None:
            return None
        return dict(progress, steps=steps)

    @rpc
    def list_incidents(self, limit=100):
        return self.processes.incidents(limit)

    @rpc
    @idempotent
    def retry_case_process(self, case_no, data, user):
        _, announcements = self.processes.retry(case_no, data or {}, user, utcnow())
        self._announce(announcements)
        return self.processes.process_view(case_no, user)

    @rpc
    @idempotent
    def start_test_run(self, source, data, user):
        """A designer's test instance of a deployed version or an uploaded diagram (test_runs.py)."""
        return test_runs.start(self.processes.definitions, source, data or {}, user, utcnow())

    @rpc
    def get_test_run(self, run_id):
        return test_runs.get(self.processes.definitions, run_id, utcnow())

    @rpc
    @idempotent
    def complete_test_task(self, run_id, task_id, data, user):
        return test_runs.complete_task(self.processes.definitions, run_id, task_id, data or {}, user, utcnow())

    @rpc
    @idempotent
    def fire_test_timer(self, run_id, element_id, user):
        return test_runs.fire_timer(self.processes.definitions, run_id, element_id, user, utcnow())

    @rpc
    @idempotent
    def deliver_test_message(self, run_id, name, data, user):
        return test_runs.deliver_message(self.processes.definitions, run_id, name, data or {}, user, utcnow())

    @rpc
    @idempotent
    def discard_test_run(self, run_id):
        test_runs.discard(run_id)

    @timer(interval=TEST_RUN_SWEEP_SECONDS)
    def remove_expired_test_runs(self):
        test_runs.remove_expired(utcnow())

    @scheduler.due_timers
    def fire_due_timers(self):
        self._announce(self.processes.fire_due_timers(utcnow()))

    @event_handler(events.CLOCK_SET, handler_type=BROADCAST, reliable_delivery=False)
    def on_clock_set(self, payload):
        """The platform clock moved: timers that became due fire now."""
        super().on_clock_set(payload)
        self.timer_alarm.ring_now()

    @event_handler(events.CASE_SUBMITTED)
    def on_case_submitted(self, case):
        self._announce(self.processes.start_for_case(case, utcnow()))

    @event_handler(events.MESSAGE_THROWN)
    def on_message_thrown(self, message):
        """A message an instance threw: to the instance of its case that waits for it, or a
        new instance of the partner process it starts (``InstanceRepository.route``)."""
        _, announcements = self.processes.route(message["case_no"], message, utcnow())
        self._announce(announcements)

    @event_handler(events.SUPPLEMENT_RECEIVED)
    def on_supplement_received(self, received):
        data = {"materials": received.get("materials", []), "received_at": received.get("received_at")}
        self._correlate_event(
            received["case_no"],
            "supplement_received",
            data,
            f"supplement_received:{received['case_no']}:{received.get('received_at')}",
        )

    @event_handler(events.CASE_EXTENDED)
    def on_case_extended(self, extended):
        """An approved extension: the case's tasks are due by its new deadline."""
        self._move_deadline(extended)

    @event_handler(events.CASE_RESUMED)
    def on_case_resumed(self, resumed):
        """A special procedure ended: the case's tasks are due by its new deadline."""
        self._move_deadline(resumed)

    def _move_deadline(self, payload):
        if payload.get("deadline"):
            self._announce(self.processes.move_deadline(payload["case_no"], payload["deadline"], utcnow()))

    @event_handler(events.PAYMENT_CONFIRMED)
    def on_payment_confirmed(self, confirmed):
        data = {key: confirmed.get(key) for key in ("notice_no", "amount_fen", "receipt_no", "confirmed_at")}
        self._correlate_event(
            confirmed["case_no"], "payment_confirmed", data, f"payment_confirmed:{confirmed.get('notice_no')}"
        )

    def _correlate_event(self, case_no, name, data, message_id):
        _, announcements = self.processes.correlate(case_no, name, data, utcnow(), message_id)
        self._announce(announcements)

    @timer(interval=OUTBOX_SWEEP_SECONDS)
    def announce_unannounced(self):
        """The outbox sweep: finish what a replica saved but did not announce."""
        now = utcnow()
        self._announce(self.processes.unannounced(now - OUTBOX_GRACE, now))

    def _announce(self, announcements):
        for announcement in announcements:
            for event_name, payload in announcement.events:
                self.dispatch(event_name, payload)
            self.processes.announced(announcement)
