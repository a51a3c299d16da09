"""How the simulation reads the hall: which queue category serves an item, and answers to an
item's application form of each field type."""

from datetime import date

from sim.arrivals import Item
from sim.hall import Hall, form_answers

ITEMS = {
    code: Item(code, department, "promised", "promised_item", 5, ())
    for code, department in (
        ("MR-001", "market_regulation"),
        ("MR-004", "market_regulation"),
        ("TX-001", "taxation"),
        ("NR-001", "natural_resources"),
    )
}
CATEGORIES = [{"code": "A", "items": ["MR-001"]}, {"code": "B", "items": ["TX-001"]}, {"code": "C", "items": []}]


def test_an_item_goes_to_the_category_listing_it_else_its_departments_else_the_general_one():
    hall = Hall(ITEMS, {}, CATEGORIES, [])
    assert [hall.category_of(code) for code in ("MR-001", "MR-004", "TX-001", "NR-001")] == ["A", "A", "B", "C"]


def test_the_form_is_answered_by_type_within_its_limits():
    fields = [
        {"id": "name", "type": "string", "max_length": 1},
        {"id": "on", "type": "date"},
        {"id": "count", "type": "long"},
        {"id": "photo", "type": "boolean"},
        {"id": "kind", "type": "enum", "options": ["企业", "个体工商户"]},
    ]
    assert form_answers(fields, date(2026, 12, 10)) == {
        "name": "模",
        "on": "2026-12-10",
        "count": 1,
        "photo": True,
        "kind": "企业",
    }
