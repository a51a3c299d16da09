"""The intake service's entrypoints with worker_factory: no broker, no store."""

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from services.common.errors import InvalidInput, NotFound
from services.intake.catalog import Catalog, load_catalog
from services.intake.catalog_store import public_view
from services.intake.service import IntakeService
from tests.unit.paths import CATALOG_DIR

CATALOG = load_catalog(CATALOG_DIR)
SUBMITTED_AT = datetime(2026, 11, 26, 1, 30, tzinfo=timezone.utc)
KEY = {"key": "anonymous:key-12345", "fingerprint": "f" * 64}


class FakeItems:
    """Stands in for the managed catalog: the seed files, every item in force as version 1."""

    @staticmethod
    def published(now):
        return Catalog(CATALOG.departments, CATALOG.items, {code: 1 for code in CATALOG.items})

    @staticmethod
    def public_item(code, now, version=None):
        if code not in CATALOG.items:
            raise NotFound(f"item {code!r} is not in the catalog")
        return public_view(CATALOG.item(code), 1)


class FakeCases:
    """Stands in for the case repository: answers ``submit`` with a case it makes up."""

    items = FakeItems()

    @staticmethod
    def item_of(case):
        return CATALOG.item(case.item_code)

    def __init__(self):
        self.announced, self.stored_for = [], []

    def submit(self, application, now, request=None):
        return SimpleNamespace(
            case_no="20261126000001",
            query_code="ABCD2345",
            status="submitted",
            item_code=application["item_code"],
            item_version=1,
            department="market_regulation",
            process_key="immediate_item",
            submitted_at=SUBMITTED_AT,
            announcement_pending=True,
        )

    def submitted_for(self, request, now):
        self.stored_for.append(request)
        return self.submit({"item_code": "MR-001"}, now, request)

    def mark_announced(self, case):
        self.announced.append(case.case_no)


class FirstAttempt:
    """Stands in for the request log: runs the effect, or (``lost=True``) answers what the
    outcome finds of a first attempt that stopped before its answer was recorded."""

    def __init__(self, lost=False):
        self.lost, self.requests = lost, []

    def once(self, request, effect, outcome=None):
        self.requests.append(request)
        return outcome() if self.lost else effect()


def test_a_new_case_is_announced_with_what_the_approval_needs():
    service = worker_factory(IntakeService, cases=FakeCases(), requests=FirstAttempt())
    receipt = service.submit_case({"item_code": "MR-001"}, idempotency=KEY)
    assert receipt["case_no"] == "20261126000001" and "created" not in receipt
    service.dispatch.assert_called_once_with(
        "case_submitted",
        {
            "case_no": "20261126000001",
            "item_code": "MR-001",
            "item_version": 1,
            "item_name": "个体工商户设立登记",
            "department": "market_regulation",
            "process_key": "immediate_item",
            "process_version": None,
            "kind": "immediate",
            "on_the_spot": False,
            "promised_limit_days": 0,
            "legal_limit_days": 15,
            "submitted_at": SUBMITTED_AT.isoformat(),
            "special_procedures": [],
        },
    )


def test_a_submission_whose_answer_was_lost_answers_the_receipt_of_the_case_stored_for_its_key():
    cases, log = FakeCases(), FirstAttempt(lost=True)
    service = worker_factory(IntakeService, cases=cases, requests=log)
    receipt = service.submit_case({"item_code": "MR-001"}, idempotency=KEY)
    assert receipt["query_code"] == "ABCD2345" and log.requests == cases.stored_for == [KEY]
    service.dispatch.assert_not_called()


def test_an_unknown_item_is_not_found():
    service = worker_factory(IntakeService, cases=FakeCases())
    with pytest.raises(NotFound):
        service.get_item("XX-000")
    assert service.get_item("TX-001")["name_en"] == "Issue of invoices"


def test_the_catalog_is_searched_and_paged():
    service = worker_factory(IntakeService, cases=FakeCases())
    first = service.list_items(query="登记", page=1, page_size=2)
    second = service.list_items(query="登记", page=2, page_size=2)
    assert first["total"] == second["total"] == len(CATALOG.search("登记")) > 4
    assert len(first["items"]) == 2 and first["items"][0]["code"] != second["items"][0]["code"]
    assert service.list_items(department="taxation", kind="promised")["items"][0]["code"] == "TX-004"
    for page, page_size in ((0, 10), (1, 0), (1, 101), ("1", 10)):
        with pytest.raises(InvalidInput):
            service.list_items(page=page, page_size=page_size)


def test_departments_are_listed():
    service = worker_factory(IntakeService, cases=FakeCases())
    assert {d["code"] for d in service.list_departments()} >= {"market_regulation", "health"}


def test_every_service_answers_ping():
    assert worker_factory(IntakeService).ping() == "pong"
