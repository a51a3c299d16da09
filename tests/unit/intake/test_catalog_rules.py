"""The managed catalog's rules without a store: which version is in force on a day, where
an item stands, who may change what, what an edit changed, the days a publication or a
retirement may take effect, and faults named by field."""

import pytest

from services.common.errors import Forbidden, InvalidInput
from services.intake.catalog import item_fields, load_catalog, validate_item
from services.intake.catalog_store import (
    check_binding,
    check_may_change,
    differences,
    effective_day,
    standing,
    validated,
    version_in_force,
)
from tests.unit.paths import CATALOG_DIR

SEED = load_catalog(CATALOG_DIR)


def published(version, effective_from, at="2026-12-01T00:00:00+00:00"):
    return {"version": version, "effective_from": effective_from, "published_at": at, "by": "admin"}


def test_the_version_in_force_is_the_latest_publication_due_on_the_day():
    publications = [published(1, None), published(2, "2026-12-10"), published(3, "2026-12-05")]
    assert version_in_force(publications, "2026-12-04")["version"] == 1
    assert version_in_force(publications, "2026-12-05")["version"] == 3
    assert version_in_force(publications, "2026-12-31")["version"] == 2
    assert version_in_force([published(1, "2026-12-10")], "2026-12-09") is None


def test_on_one_day_the_version_published_last_is_in_force():
    publications = [
        published(3, "2026-12-05", "2026-12-01T01:00:00+00:00"),
        published(2, "2026-12-05", "2026-12-01T02:00:00+00:00"),
    ]
    assert version_in_force(publications, "2026-12-05")["version"] == 2


@pytest.mark.parametrize(
    "publications,retired_from,expected",
    [
        ([], None, "draft"),
        ([published(1, "2026-12-10")], None, "scheduled"),
        ([published(1, "2026-12-01")], None, "in_force"),
        ([published(1, "2026-12-01")], "2026-12-06", "in_force"),
        ([published(1, "2026-12-01")], "2026-12-05", "retired"),
        ([], "2026-12-01", "retired"),
    ],
)
def test_where_an_item_stands_on_a_day(publications, retired_from, expected):
    assert standing(publications, retired_from, "2026-12-05") == expected


def test_admins_change_anything_and_designers_only_the_process_binding():
    check_may_change(["admin"], ["fees", "process_key"])
    check_may_change(["designer"], ["process_key", "process_version"])
    with pytest.raises(Forbidden) as refused:
        check_may_change(["designer"], ["process_version", "visits"])
    assert [e["field"] for e in refused.value.errors] == ["visits"]
    with pytest.raises(Forbidden):
        check_may_change(["clerk"], ["process_key"])


def test_differences_name_each_changed_field_with_before_and_after():
    assert differences({"visits": 1, "fees": []}, {"visits": 0, "fees": [], "process_version": 2}) == {
        "process_version": {"from": None, "to": 2},
        "visits": {"from": 1, "to": 0},
    }


def test_a_publication_takes_effect_today_or_later_on_a_real_date():
    assert effective_day("2026-12-05", "2026-12-05") == "2026-12-05"
    for bad, field_message in (
        ("2026-12-04", "today (2026-12-05) or later"),
        ("2026-02-30", "YYYY-MM-DD"),
        ("5.12.2026", "YYYY-MM-DD"),
        (None, "YYYY-MM-DD"),
    ):
        with pytest.raises(InvalidInput) as refused:
            effective_day(bad, "2026-12-05")
        assert refused.value.errors == [{"field": "effective_from", "message": field_message}]


def test_every_seeded_item_reads_back_from_what_a_version_stores():
    for item in SEED.items.values():
        assert validate_item(item_fields(item), item.department) == item


@pytest.mark.parametrize(
    "change,field",
    [
        ({"kind": "sometimes"}, "kind"),
        ({"legal_limit_days": -1}, "legal_limit_days"),
        ({"process_version": 0}, "process_version"),
        ({"promised_limit_days": 99}, "promised_limit_days"),
        ({"materials": [{"code": "Bad Code", "name": "x", "form": "paper", "required": True}]}, "materials.0.code"),
        ({"fees": [{"code": "fee", "name": "费", "amount_fen": 0, "basis": "x"}]}, "fees.0.amount_fen"),
        ({"form": [{"id": "a", "label": "A", "type": "colour", "required": True}]}, "form.0.type"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_broken_rule_is_a_422_naming_the_field(change, field):
    fields = dict(item_fields(SEED.item("MR-001")), **change)
    with pytest.raises(InvalidInput) as refused:
        validated(fields, "market_regulation")
    assert [e["field"] for e in refused.value.errors] == [field]


def test_the_process_bound_is_deployed_and_so_is_a_pinned_version():
    def deployed(key):
        return [1, 2] if key == "promised_item" else None

    check_binding({"process_key": "promised_item", "process_version": None}, deployed)
    check_binding({"process_key": "promised_item", "process_version": 2}, deployed)
    for fields, field in (
        ({"process_key": "no_such_flow"}, "process_key"),
        ({"process_key": "promised_item", "process_version": 3}, "process_version"),
    ):
        with pytest.raises(InvalidInput) as refused:
            check_binding(fields, deployed)
        assert [e["field"] for e in refused.value.errors] == [field]
