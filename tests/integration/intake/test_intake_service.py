"""The intake service on the real broker and store: applying, idempotency, the
case_submitted event, the public and staff views."""

import hashlib
import json
from datetime import datetime, timedelta

import pytest
from nameko.events import event_handler
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.idempotency import RETENTION, RequestLog
from services.common.time import utcnow
from services.intake import models
from services.intake.service import IntakeService

PERSON = {"kind": "person", "name": "张三", "id_number": "11010519491231002X"}
APPLICATION = {"item_code": "MR-001", "applicant": PERSON, "materials": ["application_form", "id_card"]}
CLERK = {"username": "clerk", "roles": ["clerk"], "department": "hall"}


class SubmittedCases:
    """A listener standing in for the approval service. Its queue is durable, so it is
    purged before each test (events of earlier tests would arrive otherwise)."""

    name = "test_case_listener"
    received = []

    @event_handler("intake", "case_submitted")
    def on_case_submitted(self, payload):
        self.received.append(payload)

    @classmethod
    def about(cls, case_no):
        return [p for p in cls.received if p["case_no"] == case_no]


@pytest.fixture
def intake(container_factory, service_config, clean_databases):
    container = container_factory(IntakeService, service_config)
    container.start()
    return container


@pytest.fixture
def listener(start_listener):
    SubmittedCases.received = []
    return start_listener(SubmittedCases)


def submit(container, application=APPLICATION, key=None):
    request = {"key": f"anonymous:{key}", "fingerprint": fingerprint(application)} if key else None
    with entrypoint_hook(container, "submit_case") as submit_case:
        return submit_case(application, idempotency=request)


def fingerprint(application):
    return hashlib.sha256(json.dumps(application, sort_keys=True).encode()).hexdigest()


def test_a_submitted_case_is_stored_and_announced_once(intake, listener):
    with entrypoint_waiter(
        listener,
        "on_case_submitted",
        callback=lambda worker_ctx, result, exc_info: bool(
            SubmittedCases.received and SubmittedCases.received[-1]["item_code"] == "MR-001"
        ),
    ):
        receipt = submit(intake)
    assert receipt["status"] == "submitted"
    assert len(receipt["case_no"]) == 14 and receipt["case_no"].isdigit()
    assert SubmittedCases.about(receipt["case_no"]) == [
        {
            "case_no": receipt["case_no"],
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
            "submitted_at": receipt["submitted_at"],
            "special_procedures": [],
        }
    ]


def test_case_numbers_follow_each_other_within_a_day(intake):
    first, second = submit(intake)["case_no"], submit(intake)["case_no"]
    assert first[:8] == second[:8]
    assert int(second) == int(first) + 1


def test_a_repeated_idempotency_key_returns_the_first_case_without_a_second_event(intake, listener):
    with entrypoint_waiter(listener, "on_case_submitted"):
        first = submit(intake, key="retry-0001")
    second = submit(intake, key="retry-0001")
    assert second == first
    assert len(SubmittedCases.about(first["case_no"])) == 1


def test_the_same_key_with_another_application_is_refused_without_the_first_receipt(intake):
    first = submit(intake, key="retry-0002")
    other = {**APPLICATION, "applicant": {**PERSON, "name": "李四"}}
    with pytest.raises(Conflict) as refused:
        submit(intake, other, key="retry-0002")
    assert first["query_code"] not in str(refused.value) and first["case_no"] not in str(refused.value)
    assert models.Case.objects.count() == 1


def test_a_submission_that_stopped_after_storing_its_case_answers_that_case_to_its_retry(intake):
    """The service was killed between storing the case and recording the answer: the key's
    record has no answer and its lease ran out; the retry answers the stored case."""
    first = submit(intake, key="retry-0003")
    log = RequestLog.of("intake")
    log.collection.update_one(
        {"_id": "anonymous:retry-0003"},
        {"$set": {"answered": False, "answer": None, "lease_until": datetime(2000, 1, 1)}},
    )
    assert submit(intake, key="retry-0003") == first
    assert models.Case.objects.count() == 1


def test_a_key_past_its_retention_is_given_up_by_its_old_case_and_stores_a_new_one(intake):
    """The request log forgot the key (its records expire with the retention); the case still
    holding it gives it up to the new submission."""
    first = submit(intake, key="retry-0004")
    old = models.Case.objects.get(case_no=first["case_no"])
    old.update(set__submitted_at=old.submitted_at - RETENTION - timedelta(minutes=1))
    RequestLog.of("intake").collection.delete_one({"_id": "anonymous:retry-0004"})
    second = submit(intake, key="retry-0004")
    assert second["case_no"] != first["case_no"]
    assert models.Case.objects.get(case_no=first["case_no"]).idempotency_key is None
    assert models.Case.objects.get(case_no=second["case_no"]).idempotency_key == "anonymous:retry-0004"


@pytest.mark.parametrize(
    "application, field",
    [
        ({**APPLICATION, "item_code": "NOPE-1"}, None),
        ({**APPLICATION, "applicant": {**PERSON, "id_number": "110105194912310021"}}, "applicant.id_number"),
        (
            {
                **APPLICATION,
                "applicant": {"kind": "company", "name": "榆林某公司", "credit_code": "91350100M000100Y44"},
            },
            "applicant.credit_code",
        ),
        ({**APPLICATION, "applicant": {**PERSON, "name": " "}}, "applicant.name"),
        ({**APPLICATION, "materials": ["application_form"]}, "materials"),
        ({**APPLICATION, "materials": ["application_form", "id_card", "forged_paper"]}, "materials"),
    ],
)
def test_a_bad_application_is_refused_and_nothing_is_stored(intake, application, field):
    expected = NotFound if field is None else InvalidInput
    with pytest.raises(expected) as refused:
        submit(intake, application)
    if field:
        assert field in [e["field"] for e in refused.value.errors]
    assert models.Case.objects.count() == 0


def test_a_missing_material_is_named(intake):
    with pytest.raises(InvalidInput) as refused:
        submit(intake, {**APPLICATION, "materials": ["application_form"]})
    assert [e["message"] for e in refused.value.errors] == ["missing required material id_card (经营者身份证明)"]


def test_the_public_view_needs_the_query_code_and_shows_no_personal_data(intake):
    receipt = submit(intake)
    with entrypoint_hook(intake, "get_public_case") as get_public_case:
        view = get_public_case(receipt["case_no"], receipt["query_code"])
        assert view["status"] == "submitted" and view["item_name"] == "个体工商户设立登记"
        assert "applicant" not in view and PERSON["id_number"] not in str(view)
        with pytest.raises(NotFound) as wrong_code:
            get_public_case(receipt["case_no"], "WRONG123")
        with pytest.raises(NotFound) as unknown_case:
            get_public_case("20000101000001", receipt["query_code"])
    assert "query code" in str(wrong_code.value) and "query code" in str(unknown_case.value)


def test_staff_of_another_department_cannot_see_a_case(intake):
    receipt = submit(intake)
    with entrypoint_hook(intake, "get_case") as get_case:
        assert get_case(receipt["case_no"], CLERK)["applicant"]["id_number"] == PERSON["id_number"]
        reviewer = {"username": "reviewer", "roles": ["reviewer"], "department": "market_regulation"}
        assert get_case(receipt["case_no"], reviewer)["department"] == "market_regulation"
        with pytest.raises(NotFound):
            get_case(receipt["case_no"], {"username": "tax_reviewer", "roles": ["reviewer"], "department": "taxation"})


def test_the_case_shows_its_steps_from_the_approval(intake, approval_progress):
    receipt = submit(intake)
    case_no = receipt["case_no"]
    done = utcnow()
    approval_progress[case_no] = {
        "case_no": case_no,
        "rev": 2,
        "status": "in_progress",
        "current_step": "决定 Decide",
        "outcome": None,
        "moved_at": done.isoformat(),
        "steps": [{"element_id": "check", "name": "审查 Check", "by": "clerk", "at": done.isoformat()}],
    }
    with entrypoint_hook(intake, "get_public_case") as get_public_case:
        view = get_public_case(case_no, receipt["query_code"])
    assert (view["status"], view["current_step"]) == ("submitted", "决定 Decide")
    assert [(s["kind"], s.get("step")) for s in view["steps"]] == [("submitted", None), ("task_done", "审查 Check")]


def test_a_completed_process_completes_the_case(intake):
    receipt = submit(intake)
    with entrypoint_hook(intake, "on_process_completed") as completed:
        completed(
            {
                "case_no": receipt["case_no"],
                "rev": 3,
                "status": "completed",
                "current_step": None,
                "outcome": "approved",
            }
        )
    with entrypoint_hook(intake, "get_public_case") as get_public_case:
        view = get_public_case(receipt["case_no"], receipt["query_code"])
    assert (view["status"], view["outcome"]) == ("completed", "approved")


def test_the_catalog_is_served(intake):
    with entrypoint_hook(intake, "list_items") as list_items:
        codes = {item["code"] for item in list_items(page_size=100)["items"]}
    assert {"MR-001", "MR-002", "TX-001"} <= codes
    with entrypoint_hook(intake, "get_item") as get_item:
        assert get_item("TX-001")["department"] == "taxation"
        with pytest.raises(NotFound):
            get_item("XX-999")


def store_without_announcing(intake, minutes_ago, key=None):
    """What a replica killed between storing a case and announcing it (and answering) leaves behind."""
    provider = next(d for d in intake.dependencies if d.attr_name == "cases")
    request = {"key": f"anonymous:{key}", "fingerprint": fingerprint(APPLICATION)} if key else None
    return provider.repository.submit(APPLICATION, utcnow() - timedelta(minutes=minutes_ago), request)


def test_a_case_whose_announcement_was_lost_is_announced_by_the_sweep(intake, listener):
    case = store_without_announcing(intake, minutes_ago=1)
    with entrypoint_waiter(listener, "on_case_submitted"):
        with entrypoint_hook(intake, "announce_pending_cases") as sweep:
            sweep()
    assert [p["case_no"] for p in SubmittedCases.received] == [case.case_no]
    with entrypoint_hook(intake, "announce_pending_cases") as sweep:
        sweep()  # announced once: nothing left for a second sweep
    assert models.Case.objects(case_no=case.case_no).first().announcement_pending is False


def test_a_retried_submission_answers_the_case_the_first_attempt_stored_and_the_sweep_announces_it(intake, listener):
    case = store_without_announcing(intake, minutes_ago=1, key="lost-announcement-1")
    retry = submit(intake, key="lost-announcement-1")
    assert (retry["case_no"], retry["query_code"]) == (case.case_no, case.query_code)
    assert models.Case.objects.count() == 1
    with entrypoint_waiter(listener, "on_case_submitted"):
        with entrypoint_hook(intake, "announce_pending_cases") as sweep:
            sweep()
    assert [p["case_no"] for p in SubmittedCases.received] == [case.case_no]
