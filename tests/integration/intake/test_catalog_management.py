"""The managed catalog on the real broker and store: the seed, creating, editing, publishing
on a date and retiring items, their versions and audit, the process binding checked with
the approval service, and cases that keep the version they were submitted under.

The approval service is played by a small stand-in (same name, same RPC method) that knows
two versions of ``promised_item``."""

from datetime import timedelta

import pytest
from nameko.events import event_handler
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.common.errors import Forbidden, InvalidInput, NotFound
from services.common.time import utcnow
from services.common.workdays import shanghai_day
from services.intake.catalog import load_catalog
from services.intake.service import IntakeService

ADMIN = {"username": "admin", "roles": ["admin"], "department": "hall"}
DESIGNER = {"username": "designer", "roles": ["designer"], "department": "hall"}
CLERK = {"username": "clerk", "roles": ["clerk"], "department": "hall"}
PERSON = {"kind": "person", "name": "李四", "id_number": "11010519491231002X"}
NEW_ITEM = {
    "code": "CT-001",
    "name_zh": "营业性演出许可",
    "name_en": "Licence for commercial performances",
    "kind": "promised",
    "legal_limit_days": 20,
    "promised_limit_days": 10,
    "visits": 1,
    "process_key": "promised_item",
    "legal_basis": "《营业性演出管理条例》第六条",
    "materials": [{"code": "application_form", "name": "申请书", "form": "paper", "required": True}],
    "fees": [{"code": "licence_fee", "name": "许可证工本费", "amount_fen": 1000, "basis": "价费字〔1992〕"}],
}
APPLICATION = {"item_code": "CT-001", "applicant": PERSON, "materials": ["application_form"]}


@pytest.fixture
def intake(container_factory, service_config, clean_databases):
    container = container_factory(IntakeService, service_config)
    container.start()
    return container


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as hook:
        return hook(*args, **kwargs)


def repository(container):
    return next(d for d in container.dependencies if d.attr_name == "cases").repository


def field_errors(raised):
    return [e["field"] for e in raised.value.errors]


def today(days=0):
    return shanghai_day(utcnow() + timedelta(days=days)).isoformat()


def test_the_seed_fills_an_empty_store_once_and_keeps_its_retired_item_retired(intake, service_config):
    seeded = call(intake, "list_catalog_items")
    assert {"MR-001", "TX-001", "HE-005"} <= {i["code"] for i in seeded}
    assert {i["code"]: i["status"] for i in seeded}["HE-005"] == "retired"
    assert call(intake, "item_audit", "MR-001")[0] | {"at": None} == {
        "at": None,
        "actor": "catalog/*.yaml",
        "action": "seeded",
        "version": 1,
        "changes": {},
    }
    with pytest.raises(InvalidInput) as refused:
        call(intake, "submit_case", {"item_code": "HE-005", "applicant": PERSON, "materials": []})
    assert field_errors(refused) == ["item_code"]

    call(intake, "edit_item", "MR-001", {"visits": 0}, ADMIN)
    repository(intake).items.seed(load_catalog(service_config["CATALOG_DIR"]), utcnow())  # as at a restart
    assert call(intake, "get_catalog_item", "MR-001")["latest_version"] == 2


def test_an_item_is_created_as_a_draft_and_serves_applicants_once_published(intake):
    created = call(intake, "create_item", "market_regulation", NEW_ITEM, ADMIN)
    assert (created["status"], created["latest_version"], created["version_in_force"]) == ("draft", 1, None)
    with pytest.raises(NotFound):
        call(intake, "get_item", "CT-001")
    with pytest.raises(NotFound):
        call(intake, "submit_case", APPLICATION)

    published = call(intake, "publish_item", "CT-001", today(), ADMIN)
    assert (published["status"], published["version_in_force"]) == ("in_force", 1)
    assert "CT-001" in {i["code"] for i in call(intake, "list_items", page_size=100)["items"]}
    receipt = call(intake, "submit_case", APPLICATION)
    assert receipt["item_version"] == 1


def test_an_edit_is_a_new_version_and_a_case_keeps_the_version_it_was_submitted_under(intake):
    call(intake, "create_item", "market_regulation", NEW_ITEM, ADMIN)
    call(intake, "publish_item", "CT-001", today(), ADMIN)
    old_case = call(intake, "submit_case", APPLICATION)["case_no"]

    edited = call(
        intake,
        "edit_item",
        "CT-001",
        {
            "promised_limit_days": 5,
            "name_zh": "营业性演出许可（新）",
            "fees": [{"code": "licence_fee", "name": "许可证工本费", "amount_fen": 2000, "basis": "价费字〔1992〕"}],
        },
        ADMIN,
    )
    assert (edited["created"], edited["latest_version"], edited["version_in_force"]) == (True, 2, 1)
    call(intake, "publish_item", "CT-001", today(1), ADMIN)  # in force tomorrow: today still version 1
    assert call(intake, "get_item", "CT-001")["version"] == 1
    assert call(intake, "submit_case", APPLICATION)["item_version"] == 1

    tomorrow = utcnow() + timedelta(days=1)
    new_case = repository(intake).submit(APPLICATION, tomorrow)
    assert new_case.item_version == 2
    old = call(intake, "get_case", old_case, CLERK)
    assert (old["item_version"], old["item_name"]) == (1, "营业性演出许可")
    assert call(intake, "get_item", "CT-001", 1)["fees"][0]["amount_fen"] == 1000
    assert call(intake, "get_item", "CT-001", 2)["fees"][0]["amount_fen"] == 2000

    versions = call(intake, "list_item_versions", "CT-001")
    assert [(v["version"], v["created_by"], v["published_for"]) for v in versions] == [
        (1, "admin", [today()]),
        (2, "admin", [today(1)]),
    ]
    assert versions[1]["changed"] == ["fees", "name_zh", "promised_limit_days"]
    audit = call(intake, "item_audit", "CT-001")
    assert [(a["action"], a["version"], a["actor"]) for a in audit] == [
        ("created", 1, "admin"),
        ("published", 1, "admin"),
        ("edited", 2, "admin"),
        ("published", 2, "admin"),
    ]
    assert audit[2]["changes"]["promised_limit_days"] == {"from": 10, "to": 5}


def test_an_edit_that_changes_nothing_makes_no_version(intake):
    call(intake, "create_item", "market_regulation", NEW_ITEM, ADMIN)
    again = call(intake, "edit_item", "CT-001", {"visits": 1}, ADMIN)
    assert (again["created"], again["latest_version"]) == (False, 1)
    assert len(call(intake, "item_audit", "CT-001")) == 1


def test_an_item_published_for_a_later_day_is_not_yet_applicable(intake):
    call(intake, "create_item", "market_regulation", NEW_ITEM, ADMIN)
    assert call(intake, "publish_item", "CT-001", today(3), ADMIN)["status"] == "scheduled"
    with pytest.raises(InvalidInput) as refused:
        call(intake, "submit_case", APPLICATION)
    assert today(3) in str(refused.value) and field_errors(refused) == ["item_code"]
    with pytest.raises(InvalidInput) as past:
        call(intake, "publish_item", "CT-001", today(-1), ADMIN)
    assert field_errors(past) == ["effective_from"]


def test_a_retired_item_refuses_new_applications_and_its_cases_go_on(intake):
    call(intake, "create_item", "market_regulation", NEW_ITEM, ADMIN)
    call(intake, "publish_item", "CT-001", today(), ADMIN)
    case_no = call(intake, "submit_case", APPLICATION)["case_no"]

    retired = call(intake, "retire_item", "CT-001", ADMIN, reason="并入 MR-002")
    assert (retired["status"], retired["retired_from"]) == ("retired", today())
    with pytest.raises(InvalidInput) as refused:
        call(intake, "submit_case", APPLICATION)
    assert "retired" in str(refused.value)
    assert "CT-001" not in {i["code"] for i in call(intake, "list_items", page_size=100)["items"]}
    assert call(intake, "get_item", "CT-001")["active"] is False
    call(intake, "on_case_accepted", {"case_no": case_no, "accepted_at": utcnow().isoformat(), "by": "clerk"})
    assert call(intake, "get_case", case_no, CLERK)["status"] == "accepted"
    assert call(intake, "item_audit", "CT-001")[-1]["changes"]["reason"]["to"] == "并入 MR-002"


def test_faults_are_named_by_field(intake):
    with pytest.raises(InvalidInput) as bad_kind:
        call(intake, "create_item", "market_regulation", dict(NEW_ITEM, kind="sometimes"), ADMIN)
    assert field_errors(bad_kind) == ["kind"]
    twice = NEW_ITEM["materials"] * 2
    with pytest.raises(InvalidInput) as duplicate:
        call(intake, "create_item", "market_regulation", dict(NEW_ITEM, materials=twice), ADMIN)
    assert field_errors(duplicate) == ["materials.1.code"]
    with pytest.raises(InvalidInput) as department:
        call(intake, "create_item", "culture", NEW_ITEM, ADMIN)
    assert field_errors(department) == ["department"]


class SubmittedCases:
    name = "test_catalog_case_listener"
    received = []

    @event_handler("intake", "case_submitted")
    def on_case_submitted(self, payload):
        self.received.append(payload)


def test_the_process_binding_is_checked_with_the_approval_service_and_announced(intake, start_listener):
    with pytest.raises(InvalidInput) as undeployed:
        call(intake, "create_item", "market_regulation", dict(NEW_ITEM, process_key="no_such_flow"), ADMIN)
    assert field_errors(undeployed) == ["process_key"]
    call(intake, "create_item", "market_regulation", NEW_ITEM, ADMIN)
    with pytest.raises(InvalidInput) as missing_version:
        call(intake, "edit_item", "CT-001", {"process_version": 7}, DESIGNER)
    assert field_errors(missing_version) == ["process_version"]

    pinned = call(intake, "edit_item", "CT-001", {"process_version": 2}, DESIGNER)
    assert pinned["item"]["process_version"] == 2
    call(intake, "publish_item", "CT-001", today(), ADMIN)
    listener = start_listener(SubmittedCases)
    with entrypoint_waiter(listener, "on_case_submitted"):
        case_no = call(intake, "submit_case", APPLICATION)["case_no"]
    assert [(p["item_version"], p["process_version"]) for p in SubmittedCases.received if p["case_no"] == case_no] == [
        (2, 2)
    ]


def test_a_designer_changes_only_the_process_binding_and_only_admins_publish(intake):
    call(intake, "create_item", "market_regulation", NEW_ITEM, ADMIN)
    with pytest.raises(Forbidden) as refused:
        call(intake, "edit_item", "CT-001", {"visits": 2, "process_version": 1}, DESIGNER)
    assert field_errors(refused) == ["visits"]
    with pytest.raises(Forbidden):
        call(intake, "publish_item", "CT-001", today(), DESIGNER)
    with pytest.raises(Forbidden):
        call(intake, "create_item", "market_regulation", dict(NEW_ITEM, code="CT-002"), DESIGNER)
    with pytest.raises(Forbidden):
        call(intake, "retire_item", "CT-001", DESIGNER)
