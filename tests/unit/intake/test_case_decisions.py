"""What a case may do next, on plain data: who sees it, what the applicant may supply and when
the supplements are complete, and when its result is handed over."""

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from services.common.errors import Conflict, InvalidInput
from services.intake import decisions
from services.intake.timeline import Fact

ASKED_AT = datetime(2026, 11, 4, 2, 0, tzinfo=timezone.utc)
NOW = ASKED_AT + timedelta(days=1)
ITEM = SimpleNamespace(materials=[SimpleNamespace(code="M1", name="身份证"), SimpleNamespace(code="M2", name="章程")])


def request(*codes):
    return Fact(
        key=f"supplement_requested:{ASKED_AT.isoformat()}",
        kind="supplement_requested",
        at=ASKED_AT,
        detail={"missing_materials": list(codes)},
    )


def test_a_department_sees_its_own_cases_and_the_hall_wide_ones_all():
    case = SimpleNamespace(department="market")
    assert decisions.staff_may_see({"department": "market"}, case)
    assert not decisions.staff_may_see({"department": "tax"}, case)
    assert not decisions.staff_may_see(None, case)
    assert decisions.staff_may_see({"department": "hall"}, case)
    assert decisions.staff_may_see({"department": "supervision"}, case)


def test_the_clerk_names_missing_materials_by_code_or_by_name_once_each():
    assert decisions.material_codes(ITEM, ["身份证", "M2", "M1", "营业执照"]) == ["M1", "M2", "营业执照"]
    assert decisions.material_codes(ITEM, None) == []


def test_only_a_case_waiting_for_supplements_takes_them():
    asked = request("M1")
    assert decisions.open_request_for("C1", "awaiting_supplements", [asked]) is asked
    with pytest.raises(Conflict, match="case C1 is not waiting for supplements"):
        decisions.open_request_for("C1", "accepted", [asked])
    answered = Fact(key="received", kind="supplement_received", at=NOW)
    with pytest.raises(Conflict, match="not waiting for supplements"):
        decisions.open_request_for("C1", "awaiting_supplements", [asked, answered])
    with pytest.raises(InvalidInput, match="name the materials"):
        decisions.check_supplied([])


def test_only_the_materials_asked_for_may_be_supplied():
    decisions.check_asked(request("M1", "M2"), ["M2"])
    with pytest.raises(InvalidInput) as refused:
        decisions.check_asked(request("M1"), ["M1", "M2", "M3"])
    assert refused.value.errors == [
        {"field": "materials", "message": "M2 was not asked for"},
        {"field": "materials", "message": "M3 was not asked for"},
    ]


def test_the_supplements_are_received_once_every_material_asked_for_has_come():
    asked = request("M1", "M2")
    first = decisions.supplement_facts(asked, [asked], ["M1"], [], NOW)
    assert [f.kind for f in first] == ["materials_supplied"] and first[0].detail == {
        "materials": ["M1"],
        "documents": [],
    }
    later = NOW + timedelta(hours=1)
    rest = decisions.supplement_facts(asked, [asked, *first], ["M2"], [{"code": "M2", "document_id": "d"}], later)
    assert [f.kind for f in rest] == ["materials_supplied", "supplement_received"]
    assert rest[1].key == f"received:{asked.key}" and rest[1].detail == {"materials": ["M1", "M2"]}
    assert rest[0].key != first[0].key  # each supply is a fact of its own


def test_a_supply_before_the_request_does_not_count_towards_it():
    early = Fact(key="early", kind="materials_supplied", at=ASKED_AT - timedelta(days=1), detail={"materials": ["M1"]})
    asked = request("M1", "M2")
    assert [f.kind for f in decisions.supplement_facts(asked, [early, asked], ["M2"], [], NOW)] == [
        "materials_supplied"
    ]


def test_a_decided_result_is_collected_once_in_person_or_by_post():
    fact = decisions.collection_fact("C1", "completed", "post", None, "clerk", NOW)
    assert (fact.key, fact.kind, fact.at, fact.by, fact.detail) == (
        "collected",
        "collected",
        NOW,
        "clerk",
        {"how": "post", "note": ""},
    )
    with pytest.raises(Conflict, match="already collected"):
        decisions.collection_fact("C1", "collected", "post", None, "clerk", NOW)
    for status in ("submitted", "accepted", "awaiting_supplements", "refused"):
        with pytest.raises(Conflict, match="not decided yet"):
            decisions.collection_fact("C1", status, "post", None, "clerk", NOW)
    decisions.check_collection_way("in_person")
    with pytest.raises(InvalidInput, match="in_person' or 'post'"):
        decisions.check_collection_way("drone")
