"""Intake follows a case through the approval's events (dispatched here as the approval
service would), the applicant's supplements and the collection of the result, on the
real broker and store."""

import base64
from datetime import datetime, timedelta, timezone

import eventlet
import pymongo
import pytest
from nameko.events import event_handler
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.common.db import database_name
from services.common.errors import Conflict, InvalidInput, NotFound
from services.intake.service import IntakeService

PERSON = {"kind": "person", "name": "王五", "id_number": "11010519491231002X"}
COMPANY = {"kind": "company", "name": "榆林市塞上食品有限公司", "credit_code": "91350100M000100Y43"}
FOOD_LICENCE = {
    "item_code": "MR-003",
    "applicant": COMPANY,
    "materials": ["application_form", "business_license", "premises_layout", "safety_rules"],
}
CLERK = {"username": "clerk", "roles": ["clerk"], "department": "hall"}
REVIEWER = {"username": "reviewer", "roles": ["reviewer"], "department": "market_regulation"}
TAX_REVIEWER = {"username": "tax_reviewer", "roles": ["reviewer"], "department": "taxation"}
PDF = b"%PDF-1.7\n" + b"0" * 300_000 + b"\n%%EOF"


class Announcements:
    """Stands in for approval and monitor listening to intake's own events."""

    name = "test_intake_announcements"
    received = []

    @event_handler("intake", "supplement_received")
    def on_supplement_received(self, payload):
        self.received.append(("supplement_received", payload))

    @event_handler("intake", "case_collected")
    def on_case_collected(self, payload):
        self.received.append(("case_collected", payload))

    @classmethod
    def about(cls, case_no):
        return [(kind, p) for kind, p in cls.received if p["case_no"] == case_no]


@pytest.fixture
def intake(container_factory, service_config, clean_databases):
    container = container_factory(IntakeService, service_config)
    container.start()
    return container


@pytest.fixture
def announcements(start_listener):
    Announcements.received = []
    return start_listener(Announcements)


@pytest.fixture
def approval_says(intake, service_config):
    """``approval_says("case_accepted", payload)``: the event on the real broker, and wait
    until intake has handled it."""
    dispatch = event_dispatcher(service_config)

    def say(event, payload, handler=None, source="approval"):
        with entrypoint_waiter(
            intake,
            handler or f"on_{event}",
            callback=lambda worker_ctx, result, exc_info: worker_ctx.args[0] == payload,
        ):
            dispatch(source, event, payload)

    return say


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def moment(later_seconds=0):
    """Now (or a little later), as the approval service stamps its events; instants are
    stored to the millisecond, so events meant to follow each other are spaced."""
    return (datetime.now(timezone.utc) + timedelta(seconds=later_seconds)).isoformat()


def progress(case_no, current_step, steps=()):
    """The approval's ``case_progress`` answer: at ``current_step`` since now."""
    return {
        "case_no": case_no,
        "rev": 2 + len(steps),
        "status": "in_progress",
        "current_step": current_step,
        "outcome": None,
        "moved_at": moment(),
        "steps": list(steps),
    }


def public(intake, receipt):
    return call(intake, "get_public_case", receipt["case_no"], receipt["query_code"])


def test_acceptance_starts_the_clock_and_the_public_sees_it_without_personal_data(intake, approval_says):
    receipt = call(intake, "submit_case", FOOD_LICENCE)
    case_no = receipt["case_no"]
    assert public(intake, receipt)["awaiting"].startswith("等待窗口受理")

    approval_says(
        "case_accepted",
        {
            "case_no": case_no,
            "item_code": "MR-003",
            "department": "market_regulation",
            "accepted_at": moment(),
            "accepted_by": "clerk",
        },
    )

    view = public(intake, receipt)
    assert view["status"] == "accepted" and view["accepted_at"] and view["deadline"]
    assert [s["kind"] for s in view["steps"]] == ["submitted", "accepted"]
    assert COMPANY["credit_code"] not in str(view) and "clerk" not in str(view) and "applicant" not in view
    staff = call(intake, "get_case", case_no, REVIEWER)
    assert staff["steps"][1]["by"] == "clerk" and staff["applicant"]["credit_code"] == COMPANY["credit_code"]


def test_a_repeated_or_late_event_changes_nothing(intake, approval_says):
    receipt = call(intake, "submit_case", FOOD_LICENCE)
    case_no = receipt["case_no"]
    accepted = {"case_no": case_no, "accepted_at": moment(), "accepted_by": "clerk"}
    decided = {
        "case_no": case_no,
        "outcome": "approved",
        "decided_at": moment(1),
        "decided_by": "chief",
        "certificate_no": "JY16101000012345",
    }
    approval_says("case_decided", decided)  # arrives before the acceptance
    approval_says("case_accepted", accepted)
    approval_says("case_accepted", accepted)  # and again
    approval_says("case_decided", decided)

    view = public(intake, receipt)
    assert view["status"] == "completed"
    assert view["result"] == {"outcome": "approved", "certificate_no": "JY16101000012345"}
    assert [s["kind"] for s in view["steps"]] == ["submitted", "accepted", "decided"]


def test_a_refusal_shows_its_reason(intake, approval_says):
    receipt = call(intake, "submit_case", FOOD_LICENCE)
    approval_says(
        "case_refused",
        {"case_no": receipt["case_no"], "reason": "经营场所不符合要求", "refused_at": moment(), "refused_by": "clerk"},
    )
    view = public(intake, receipt)
    assert (view["status"], view["result"]) == ("refused", {"outcome": "refused", "reason": "经营场所不符合要求"})
    assert view["deadline"] is None and view["awaiting"] is None


def test_supplements_asked_for_are_supplied_in_parts_and_announced_once_complete(intake, approval_says, announcements):
    receipt = call(intake, "submit_case", FOOD_LICENCE)
    case_no, code = receipt["case_no"], receipt["query_code"]
    # The clerk may name a material by its name on the checklist or by its code.
    approval_says(
        "supplement_requested",
        {
            "case_no": case_no,
            "missing_materials": ["经营场所平面布局图", "safety_rules"],
            "reason": "平面图不清晰，管理制度缺页",
            "requested_at": moment(),
        },
    )
    view = public(intake, receipt)
    assert view["status"] == "awaiting_supplements" and view["missing_materials"] == ["premises_layout", "safety_rules"]

    with pytest.raises(InvalidInput) as unasked:
        call(intake, "supply_materials", case_no, code, ["business_license"])
    assert unasked.value.errors == [{"field": "materials", "message": "business_license was not asked for"}]
    with pytest.raises(NotFound):
        call(intake, "supply_materials", case_no, "WRONG234", ["safety_rules"])

    partly = call(intake, "supply_materials", case_no, code, ["premises_layout"])
    assert partly["status"] == "awaiting_supplements"
    assert Announcements.about(case_no) == []

    with entrypoint_waiter(announcements, "on_supplement_received"):
        complete = call(intake, "supply_materials", case_no, code, ["safety_rules"])
    assert complete["status"] == "submitted" and complete["missing_materials"] == []
    [(kind, payload)] = Announcements.about(case_no)
    assert kind == "supplement_received" and payload["materials"] == ["premises_layout", "safety_rules"]
    with pytest.raises(Conflict):
        call(intake, "supply_materials", case_no, code, ["safety_rules"])


def test_right_after_the_supplement_the_case_waits_for_the_window_with_no_stale_step(
    intake, approval_says, approval_progress
):
    receipt = call(intake, "submit_case", FOOD_LICENCE)
    case_no = receipt["case_no"]
    approval_says(
        "supplement_requested",
        {"case_no": case_no, "missing_materials": ["safety_rules"], "reason": "管理制度缺页", "requested_at": moment()},
    )
    approval_progress[case_no] = progress(case_no, "等待补正")
    waiting = public(intake, receipt)
    assert waiting["current_step"] == "等待补正"
    assert waiting["missing_material_names"] == [{"code": "safety_rules", "name": "食品安全管理制度"}]
    supplied = call(intake, "supply_materials", case_no, receipt["query_code"], ["safety_rules"])
    assert (supplied["status"], supplied["current_step"]) == ("submitted", None)
    assert supplied["awaiting"].startswith("等待窗口受理") and public(intake, receipt)["current_step"] is None


def test_a_case_waiting_for_its_fee_shows_the_amount_and_the_notice(intake, approval_says):
    receipt = call(intake, "submit_case", FOOD_LICENCE)
    case_no = receipt["case_no"]
    approval_says("case_accepted", {"case_no": case_no, "accepted_at": moment(), "accepted_by": "clerk"})
    notice = {
        "case_no": case_no,
        "notice_no": "JK20261126000042",
        "total_fen": 12000,
        "due_on": "2026-12-03",
        "issued_at": moment(),
    }
    approval_says("payment_notice_issued", notice, source="payment")
    approval_says("payment_notice_issued", notice, source="payment")  # a repeat adds nothing
    view = public(intake, receipt)
    assert view["payment_due"]["amount"] == "¥120.00" and "JK20261126000042" in view["awaiting"]
    assert [s["kind"] for s in view["steps"]].count("payment_notice_issued") == 1
    approval_says(
        "payment_confirmed",
        {
            "case_no": case_no,
            "notice_no": "JK20261126000042",
            "amount_fen": 12000,
            "receipt_no": "PJ20261126000042",
            "confirmed_at": moment(),
        },
        source="payment",
    )
    assert public(intake, receipt)["payment_due"] is None


def test_the_result_is_collected_once_and_only_when_decided(intake, approval_says, announcements):
    receipt = call(intake, "submit_case", FOOD_LICENCE)
    case_no = receipt["case_no"]
    with pytest.raises(Conflict):
        call(intake, "record_collection", case_no, "in_person", CLERK)
    approval_says("case_accepted", {"case_no": case_no, "accepted_at": moment(), "accepted_by": "clerk"})
    approval_says(
        "case_decided", {"case_no": case_no, "outcome": "approved", "decided_at": moment(), "decided_by": "chief"}
    )
    with pytest.raises(NotFound):
        call(intake, "record_collection", case_no, "in_person", TAX_REVIEWER)

    with entrypoint_waiter(announcements, "on_case_collected"):
        collected = call(intake, "record_collection", case_no, "post", CLERK, note="EMS 1234567890")
    assert collected["status"] == "collected" and [
        s["note"] for s in collected["steps"] if s["kind"] == "collected"
    ] == ["EMS 1234567890"]
    assert [kind for kind, _ in Announcements.about(case_no)] == ["case_collected"]
    with pytest.raises(Conflict):
        call(intake, "record_collection", case_no, "in_person", CLERK)
    assert public(intake, receipt)["result"]["certificate_no"] == f"MR-003-{case_no}"


def test_payment_and_the_approvals_steps_join_the_staff_timeline(intake, approval_progress):
    receipt = call(intake, "submit_case", FOOD_LICENCE)
    case_no = receipt["case_no"]
    approval_progress[case_no] = progress(
        case_no, "审查 Review", [{"element_id": "accept", "name": "受理 Accept", "by": "clerk", "at": moment()}]
    )
    eventlet.sleep(0.01)  # the payment follows the acceptance
    dispatch = event_dispatcher(intake.config)
    with entrypoint_waiter(intake, "on_payment_confirmed"):
        dispatch(
            "payment",
            "payment_confirmed",
            {"case_no": case_no, "notice_no": "JK2026112600001", "amount_fen": 8000, "confirmed_at": moment()},
        )
    staff = call(intake, "get_case", case_no, CLERK)
    assert staff["current_step"] == "审查 Review"
    assert [(s["kind"], s.get("amount_fen"), s.get("by")) for s in staff["steps"]][1:] == [
        ("task_done", None, "clerk"),
        ("payment_confirmed", 8000, None),
    ]
    assert "by" not in public(intake, receipt)["steps"][1]


def test_staff_search_by_applicant_item_status_and_day_within_their_department(intake, approval_says):
    food = call(intake, "submit_case", FOOD_LICENCE)
    invoice = call(intake, "submit_case", {"item_code": "TX-001", "applicant": COMPANY, "materials": ["tax_id_proof"]})
    call(
        intake,
        "submit_case",
        {"item_code": "MR-001", "applicant": PERSON, "materials": ["application_form", "id_card"]},
    )
    approval_says("case_accepted", {"case_no": food["case_no"], "accepted_at": moment(), "accepted_by": "clerk"})
    today = datetime.now(timezone.utc).astimezone(timezone(timedelta(hours=8))).date()

    def search(viewer, **filters):
        return [c["case_no"] for c in call(intake, "search_cases", viewer, filters)["cases"]]

    assert search(CLERK, applicant_id=COMPANY["credit_code"].lower()) == [invoice["case_no"], food["case_no"]]
    assert search(REVIEWER, applicant_id=COMPANY["credit_code"]) == [food["case_no"]]
    assert search(CLERK, status="accepted") == [food["case_no"]]
    assert search(CLERK, item_code="TX-001", submitted_from=str(today), submitted_to=str(today)) == [invoice["case_no"]]
    assert search(CLERK, submitted_to=str(today - timedelta(days=1))) == []
    page = call(intake, "search_cases", CLERK, {}, page=2, page_size=2)
    assert page["total"] == 3 and len(page["cases"]) == 1
    for bad in ({"status": "lost"}, {"submitted_from": "26-11-2026"}):
        with pytest.raises(InvalidInput):
            call(intake, "search_cases", CLERK, bad)


def test_a_shared_document_is_stored_once_and_referenced_by_later_applications(intake, service_config):
    content = base64.b64encode(PDF).decode()
    first = call(intake, "store_material", "company", COMPANY["credit_code"], "营业执照.pdf", content)
    again = call(intake, "store_material", "company", COMPANY["credit_code"], "营业执照-副本.pdf", content)
    assert first["created"] is True and again["created"] is False
    assert again["document_id"] == first["document_id"] and first["content_type"] == "application/pdf"

    application = {
        **FOOD_LICENCE,
        "materials": [
            "application_form",
            "premises_layout",
            "safety_rules",
            {"code": "business_license", "document_id": first["document_id"]},
        ],
    }
    one, two = call(intake, "submit_case", application), call(intake, "submit_case", application)
    for receipt in (one, two):
        [document] = call(intake, "get_case", receipt["case_no"], CLERK)["documents"]
        assert document["document_id"] == first["document_id"] and document["code"] == "business_license"

    db = pymongo.MongoClient(service_config["MONGO_URI"])[database_name(service_config, "intake")]
    assert db.material_contents.count_documents({}) == 1
    assert db.material_chunks.count_documents({}) == 2  # 300 kB in chunks of 255 KiB
    with entrypoint_hook(intake, "get_case"):
        from services.intake.materials import SharedMaterials

        assert SharedMaterials.content(first["document_id"])[1] == PDF


def test_someone_elses_or_an_unknown_document_is_refused_and_nothing_is_stored(intake):
    content = base64.b64encode(PDF).decode()
    theirs = call(intake, "store_material", "person", PERSON["id_number"], "身份证.pdf", content)
    for document_id in (theirs["document_id"], "no-such-document"):
        application = {
            **FOOD_LICENCE,
            "materials": [
                "application_form",
                "premises_layout",
                "safety_rules",
                {"code": "business_license", "document_id": document_id},
            ],
        }
        with pytest.raises(InvalidInput):
            call(intake, "submit_case", application)
    assert call(intake, "search_cases", CLERK, {})["total"] == 0


@pytest.mark.parametrize(
    "kind, owner, name, content, field",
    [
        ("company", COMPANY["credit_code"], "a.exe", base64.b64encode(b"MZ\x90\x00").decode(), "file"),
        ("company", COMPANY["credit_code"], "a.pdf", base64.b64encode(b"%PDF-" + b"0" * 3_000_000).decode(), "file"),
        ("company", COMPANY["credit_code"], "a.pdf", "not base64!", "file"),
        ("company", COMPANY["credit_code"], "", base64.b64encode(PDF).decode(), "file"),
        ("company", "91350100M000100Y44", "a.pdf", base64.b64encode(PDF).decode(), "applicant.credit_code"),
        ("robot", "91350100M000100Y43", "a.pdf", base64.b64encode(PDF).decode(), "applicant.kind"),
    ],
)
def test_a_bad_upload_is_refused_and_leaves_nothing(intake, service_config, kind, owner, name, content, field):
    with pytest.raises(InvalidInput) as refused:
        call(intake, "store_material", kind, owner, name, content)
    assert field in [e["field"] for e in refused.value.errors]
    db = pymongo.MongoClient(service_config["MONGO_URI"])[database_name(service_config, "intake")]
    assert sum(db[c].count_documents({}) for c in ("material_chunks", "material_contents", "shared_materials")) == 0


@pytest.mark.parametrize(
    "application, field",
    [
        ({**FOOD_LICENCE, "form": {"shop_area": {"nested": True}}}, "form.shop_area"),
        ({**FOOD_LICENCE, "form": {"note": "长" * 2001}}, "form.note"),
        ({**FOOD_LICENCE, "materials": "application_form"}, "materials"),
        ({**FOOD_LICENCE, "materials": [{"code": "business_license"}]}, "materials.0"),
        ({**FOOD_LICENCE, "applicant": {**COMPANY, "credit_code": 913501}}, "applicant.credit_code"),
        ({**FOOD_LICENCE, "item_code": "HE-005"}, None),
    ],
)
def test_an_application_breaking_a_rule_leaves_no_case(intake, application, field):
    with pytest.raises(InvalidInput) as refused:
        call(intake, "submit_case", application)
    if field:
        assert field in [e["field"] for e in refused.value.errors]
    assert call(intake, "search_cases", CLERK, {})["total"] == 0


def test_events_about_unknown_cases_are_ignored(intake, approval_says):
    approval_says("case_accepted", {"case_no": "20000101000001", "accepted_at": moment(), "accepted_by": "clerk"})
    with pytest.raises(NotFound):
        call(intake, "get_case", "20000101000001", CLERK)


def test_concurrent_events_on_two_replicas_lose_no_fact(container_factory, service_config, intake):
    replica = container_factory(IntakeService, service_config)
    replica.start()
    case_no = call(intake, "submit_case", FOOD_LICENCE)["case_no"]
    dispatch = event_dispatcher(service_config)
    for n in range(20):
        dispatch(
            "payment",
            "payment_notice_issued",
            {"case_no": case_no, "notice_no": f"JK{n:014d}", "total_fen": 100 + n, "issued_at": moment()},
        )
    dispatch("approval", "case_accepted", {"case_no": case_no, "accepted_at": moment(), "accepted_by": "clerk"})

    deadline = datetime.now(timezone.utc) + timedelta(seconds=30)
    while datetime.now(timezone.utc) < deadline:
        steps = call(intake, "get_case", case_no, CLERK)["steps"]
        if len(steps) == 22:
            break
        eventlet.sleep(0.1)
    assert sorted(s["total_fen"] for s in steps if s["kind"] == "payment_notice_issued") == list(range(100, 120))
    assert [s["kind"] for s in steps].count("accepted") == 1


def test_an_item_with_a_form_definition_refuses_a_form_that_breaks_it_and_keeps_one_that_fits(intake):
    insurance = {"item_code": "HR-001", "applicant": COMPANY, "materials": ["registration_form", "business_license"]}
    with pytest.raises(InvalidInput) as refused:
        call(
            intake,
            "submit_case",
            {**insurance, "form": {"employer_type": "合作社", "employee_count": "12", "shop_area": 30}},
        )
    assert sorted(e["field"] for e in refused.value.errors) == [
        "form.employee_count",
        "form.employer_name",
        "form.employer_type",
        "form.shop_area",
    ]
    assert call(intake, "search_cases", CLERK, {})["total"] == 0

    form = {"employer_name": COMPANY["name"], "employer_type": "企业", "employee_count": 12}
    receipt = call(intake, "submit_case", {**insurance, "form": form})
    assert call(intake, "get_case", receipt["case_no"], CLERK)["form"] == form


def test_staff_download_a_document_only_where_they_may_see_a_case_referencing_it(intake):
    content = base64.b64encode(PDF).decode()
    used = call(intake, "store_material", "company", COMPANY["credit_code"], "营业执照.pdf", content)
    unused = call(
        intake,
        "store_material",
        "company",
        COMPANY["credit_code"],
        "章程.png",
        base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"1" * 100).decode(),
    )
    call(
        intake,
        "submit_case",
        {
            **FOOD_LICENCE,
            "materials": [
                "application_form",
                "premises_layout",
                "safety_rules",
                {"code": "business_license", "document_id": used["document_id"]},
            ],
        },
    )

    for viewer in (REVIEWER, CLERK):
        got = call(intake, "get_material_content", used["document_id"], viewer)
        assert base64.b64decode(got["content_base64"]) == PDF
        assert (got["filename"], got["content_type"]) == ("营业执照.pdf", "application/pdf")
    assert call(intake, "get_material_content", unused["document_id"], CLERK)["content_type"] == "image/png"
    for document_id, viewer in (
        (used["document_id"], TAX_REVIEWER),
        (unused["document_id"], REVIEWER),
        ("no-such-document", CLERK),
    ):
        with pytest.raises(NotFound):
            call(intake, "get_material_content", document_id, viewer)
