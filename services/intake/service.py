"""The intake service (统一受理): the public catalog and its management, every
application's entry, the applicant's materials and supplements, the case's timeline and
the result's collection."""

import base64
import binascii
from datetime import timedelta

from nameko.events import EventDispatcher
from nameko.exceptions import RemoteError
from nameko.rpc import RpcProxy
from nameko.timer import timer

from services.common import platform_service
from services.common.contracts import events
from services.common.db import ServiceStore
from services.common.entrypoints import event_handler, rpc
from services.common.errors import InvalidInput
from services.common.idempotency import idempotent
from services.common.retired_queues import RetiredQueues, event_queue
from services.common.time import utcnow
from services.common.workdays import load_hall_calendar
from services.intake import cases, catalog, catalog_store, materials, timeline

# case_submitted is dispatched right after the case is stored; a case still unannounced
# after the grace period lost its replica in between, and the sweep announces it
# (approval starts a process once per case, so an announcement twice is harmless).
ANNOUNCEMENT_SWEEP_SECONDS = 5
ANNOUNCEMENT_GRACE = timedelta(seconds=10)


def open_cases(config):
    """The case repository over the managed catalog, seeded from ``CATALOG_DIR`` when the store
    holds no item yet (the seed files are validated at every start all the same)."""
    items = catalog_store.ItemStore()
    items.seed(catalog.load_catalog(config["CATALOG_DIR"]), utcnow())
    return cases.CaseRepository(
        items, materials.SharedMaterials(config["MATERIAL_MAX_BYTES"]), load_hall_calendar(config["HALL_CALENDAR_FILE"])
    )


def _page(page, page_size):
    if (
        not isinstance(page, int)
        or not isinstance(page_size, int)
        or page < 1
        or not 1 <= page_size <= cases.MAX_PAGE_SIZE
    ):
        raise InvalidInput(
            "page starts at 1; page_size is 1 to 100",
            [{"field": "page_size", "message": "page >= 1, page_size 1 to 100"}],
        )
    return (page - 1) * page_size, page * page_size


class IntakeService(platform_service.PlatformService):
    name = "intake"

    cases = ServiceStore(open_cases)
    dispatch = EventDispatcher()
    approval = RpcProxy("approval")  # deployed process versions; the steps of a case's process, when shown
    # intake listened to every step's case_progressed; it listens to process_completed now.
    retired = RetiredQueues(event_queue(events.CASE_PROGRESSED, "intake", "on_case_progressed"))

    @rpc
    def list_items(self, query=None, department=None, kind=None, page=1, page_size=20):
        start, stop = _page(page, page_size)
        published = self.cases.items.published(utcnow())
        found = published.search(query, department, kind)
        return {
            "items": [catalog_store.public_view(item, published.versions[item.code]) for item in found[start:stop]],
            "total": len(found),
            "page": page,
            "page_size": page_size,
        }

    @rpc
    def get_item(self, item_code, version=None):
        """The item in force today, or the version a case was submitted under."""
        return self.cases.items.public_item(item_code, utcnow(), version)

    @rpc
    def list_departments(self):
        return self.cases.items.published(utcnow()).department_list()

    @rpc
    def list_catalog_items(self):
        return self.cases.items.managed_list(utcnow())

    @rpc
    def get_catalog_item(self, item_code):
        return self.cases.items.managed(item_code, utcnow())

    @rpc
    @idempotent
    def create_item(self, department, fields, actor):
        catalog_store.require_admin(actor, "create")
        catalog_store.check_binding(fields, self._deployed_versions)
        return self.cases.items.create(fields, department, actor, utcnow())

    @rpc
    @idempotent
    def edit_item(self, item_code, changes, actor):
        if set(changes) & set(catalog_store.BINDING_FIELDS):
            current = self.cases.items.managed(item_code, utcnow())["item"]
            catalog_store.check_binding(
                {name: changes.get(name, current[name]) for name in catalog_store.BINDING_FIELDS},
                self._deployed_versions,
            )
        view, created = self.cases.items.edit(item_code, changes, actor, utcnow())
        return dict(view, created=created)

    @rpc
    @idempotent
    def publish_item(self, item_code, effective_from, actor, version=None):
        return self.cases.items.publish(item_code, version, effective_from, actor, utcnow())

    @rpc
    @idempotent
    def retire_item(self, item_code, actor, effective_from=None, reason=None):
        return self.cases.items.retire(item_code, effective_from, reason, actor, utcnow())

    @rpc
    def list_item_versions(self, item_code):
        return self.cases.items.versions(item_code)

    @rpc
    def item_audit(self, item_code):
        return self.cases.items.audit(item_code)

    def _deployed_versions(self, key):
        """The deployed versions of process ``key`` (asked of the approval service), or None."""
        try:
            return [v["version"] for v in self.approval.list_process_versions(key)]
        except RemoteError as refused:
            if refused.exc_type != "NotFound":
                raise
            return None

    @rpc
    def submit_case(self, application, idempotency=None):
        """Register a case; with ``idempotency`` a repeat answers the first receipt, also when the
        first attempt stored its case and stopped before its answer was recorded."""

        def submit():
            case = self.cases.submit(application, utcnow(), idempotency)
            self._announce(case)
            return self._receipt(case)

        def submitted():
            case = self.cases.submitted_for(idempotency, utcnow())
            return self._receipt(case) if case is not None else None

        return self.requests.once(idempotency, submit, outcome=submitted)

    def _receipt(self, case):
        return cases.submission_receipt(case, self.cases.item_of(case))

    @timer(interval=ANNOUNCEMENT_SWEEP_SECONDS)
    def announce_pending_cases(self):
        """The outbox sweep: announce cases whose replica died between storing and announcing."""
        for case in self.cases.pending_announcements(utcnow() - ANNOUNCEMENT_GRACE):
            self._announce(case)

    def _announce(self, case):
        item = self.cases.item_of(case)
        self.dispatch(
            *events.CASE_SUBMITTED.event(
                case_no=case.case_no,
                item_code=case.item_code,
                item_version=case.item_version,
                item_name=item.name_zh,
                department=case.department,
                process_key=case.process_key,
                process_version=item.process_version,
                kind=item.kind,
                on_the_spot=item.on_the_spot,
                promised_limit_days=item.promised_limit_days,
                legal_limit_days=item.legal_limit_days,
                special_procedures=list(item.special_procedures),
                submitted_at=case.submitted_at.isoformat(),
            )
        )
        self.cases.mark_announced(case)

    @rpc
    def get_case(self, case_no, viewer):
        case = self.cases.get_for_staff(case_no, viewer)
        return cases.staff_view(case, self.cases.item_of(case), self.approval.case_progress(case_no))

    @rpc
    def get_public_case(self, case_no, query_code):
        case = self.cases.get_public(case_no, query_code)
        return cases.public_view(case, self.cases.item_of(case), self.approval.case_progress(case_no))

    @rpc
    def search_cases(self, viewer, filters, page=1, page_size=20):
        found, total = self.cases.search(viewer, filters, page, page_size)
        return {
            "cases": [cases.summary(c, self.cases.item_of(c)) for c in found],
            "total": total,
            "page": page,
            "page_size": page_size,
        }

    @rpc
    @idempotent
    def supply_materials(self, case_no, query_code, supplied):
        now = utcnow()
        case, complete = self.cases.supply(case_no, query_code, supplied, now)
        if complete is not None:
            self.dispatch(
                *events.SUPPLEMENT_RECEIVED.event(
                    case_no=case_no, materials=complete.detail["materials"], received_at=now.isoformat()
                )
            )
        return cases.public_view(case, self.cases.item_of(case), self.approval.case_progress(case_no))

    @rpc
    @idempotent
    def record_collection(self, case_no, how, viewer, note=None):
        case, step = self.cases.collect(case_no, how, note, viewer, utcnow())
        self.dispatch(*events.CASE_COLLECTED.event(case_no=case_no, collected_at=step.at.isoformat(), how=how))
        return cases.staff_view(case, self.cases.item_of(case), self.approval.case_progress(case_no))

    @rpc
    @idempotent
    def store_material(self, applicant_kind, applicant_id, filename, content_base64):
        owner = cases.validate_owner(applicant_kind, applicant_id)
        try:
            content = base64.b64decode(content_base64, validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise InvalidInput("the content is not base64", [{"field": "file", "message": "not base64"}]) from None
        document, created = self.cases.shared_materials.store(owner, filename, content, utcnow())
        return materials.document_view(document, created)

    @rpc
    def get_material_content(self, document_id, viewer):
        document, content = self.cases.document_for_staff(document_id, viewer)
        return {
            "filename": document.filename,
            "content_type": document.content_type,
            "content_base64": base64.b64encode(content).decode("ascii"),
        }

    @event_handler(events.PROCESS_COMPLETED)
    def on_process_completed(self, payload):
        """A completed process is a fact of the case's own; intake does not listen to every
        step's ``case_progressed`` (the timeline asks the approval for the steps)."""
        now = utcnow()
        fact = timeline.progress_fact(payload, now)
        if fact is not None:
            self.cases.record(payload["case_no"], fact, now)

    @event_handler(events.CASE_ACCEPTED)
    def on_case_accepted(self, payload):
        self._record("accepted", payload)

    @event_handler(events.CASE_REFUSED)
    def on_case_refused(self, payload):
        self._record("refused", payload)

    @event_handler(events.SUPPLEMENT_REQUESTED)
    def on_supplement_requested(self, payload):
        self._record("supplement_requested", payload)

    @event_handler(events.CASE_DECIDED)
    def on_case_decided(self, payload):
        self._record("decided", payload)

    @event_handler(events.PAYMENT_NOTICE_ISSUED)
    def on_payment_notice_issued(self, payload):
        self._record("payment_notice_issued", payload)

    @event_handler(events.PAYMENT_CONFIRMED)
    def on_payment_confirmed(self, payload):
        self._record("payment_confirmed", payload)

    @event_handler(events.CASE_EXTENDED)
    def on_case_extended(self, payload):
        self._record("extended", payload)

    @event_handler(events.CASE_SUSPENDED)
    def on_case_suspended(self, payload):
        self._record("suspended", payload)

    @event_handler(events.CASE_RESUMED)
    def on_case_resumed(self, payload):
        self._record("resumed", payload)

    def _record(self, kind, payload):
        self.cases.record(payload["case_no"], timeline.fact_from_event(kind, payload), utcnow())
