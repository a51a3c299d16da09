"""The intake service (统一受理): the public catalog and every application's entry."""
from nameko.events import EventDispatcher, event_handler

from services.common import events, platform_service
from services.common.db import ServiceStore
from services.common.entrypoints import rpc
from services.common.errors import NotFound
from services.common.time import utcnow
from services.intake import cases
from services.intake.catalog import load_catalog


def open_cases(config):
    return cases.CaseRepository(load_catalog(config["CATALOG_DIR"]))


class IntakeService(platform_service.PlatformService):
    name = "intake"

    cases = ServiceStore(open_cases)
    dispatch = EventDispatcher()

    @rpc
    def list_items(self):
        return [item.as_dict() for item in self.cases.catalog.items.values()]

    @rpc
    def get_item(self, item_code):
        item = self.cases.catalog.item(item_code)
        if item is None:
            raise NotFound(f"item {item_code!r} is not in the catalog")
        return item.as_dict()

    @rpc
    def submit_case(self, application, idempotency_key=None):
        case, created = self.cases.submit(application, idempotency_key, utcnow())
        if created:
            item = self.cases.catalog.item(case.item_code)
            self.dispatch(events.CASE_SUBMITTED[1], {
                "case_no": case.case_no, "item_code": case.item_code, "item_name": item.name_zh,
                "department": case.department, "process_key": case.process_key, "kind": item.kind,
                "promised_limit_days": item.promised_limit_days, "legal_limit_days": item.legal_limit_days,
                "submitted_at": case.submitted_at.isoformat(),
            })
        return dict(cases.submission_receipt(case), created=created)

    @rpc
    def get_case(self, case_no, viewer):
        case = self.cases.get_for_staff(case_no, viewer)
        return cases.staff_view(case, self.cases.catalog.item(case.item_code))

    @rpc
    def get_public_case(self, case_no, query_code):
        case = self.cases.get_public(case_no, query_code)
        return cases.public_view(case, self.cases.catalog.item(case.item_code))

    @event_handler(*events.CASE_PROGRESSED)
    def on_case_progressed(self, payload):
        self.cases.record_progress(payload["case_no"], payload["rev"], payload["status"],
                                   payload.get("current_step"), payload.get("outcome"), utcnow())
