"""The deployment's check of every expression in a diagram and its DMN tables."""
from pathlib import Path

import pytest

from services.approval.bpmn_engine import InvalidDiagram
from services.approval.expression_check import check_expressions

BPMN_DIR = Path(__file__).resolve().parents[3] / "bpmn"
FEES = (BPMN_DIR / "fee_item_fees.dmn").read_text(encoding="utf-8")


@pytest.mark.parametrize("diagram", sorted(BPMN_DIR.glob("*.bpmn")), ids=lambda path: path.name)
def test_the_halls_own_diagrams_pass(diagram):
    check_expressions(diagram.read_bytes(), [FEES.encode()])


def refusal(xml, tables=()):
    with pytest.raises(InvalidDiagram) as refused:
        check_expressions(xml.encode(), [table.encode() for table in tables])
    return refused.value


def test_a_condition_that_does_not_parse_is_refused_naming_the_flow():
    xml = (BPMN_DIR / "immediate_item.bpmn").read_text(encoding="utf-8").replace(
        'decision == "approved"', 'decision == (')
    refused = refusal(xml)
    assert refused.element_id == "Flow_approved"
    assert "Flow_approved (approved)" in refused.message and "does not parse" in refused.message


def test_a_script_breaking_the_rules_is_refused_naming_the_task():
    xml = (BPMN_DIR / "promised_item.bpmn").read_text(encoding="utf-8").replace(
        "<bpmn:script>deadline", "<bpmn:script>x = ().__class__\ndeadline")
    refused = refusal(xml)
    assert refused.element_id == "set_time_limit"
    assert "计算承诺时限 Set the time limit" in refused.message and "'__class__' is not allowed" in refused.message


def test_a_due_date_breaking_the_rules_is_refused_naming_the_task():
    xml = (BPMN_DIR / "promised_item.bpmn").read_text(encoding="utf-8").replace(
        'camunda:dueDate="deadline"', 'camunda:dueDate="deadline.__class__"', 1)
    assert refusal(xml).element_id == "review"


@pytest.mark.parametrize("cell, what", [
    ("<text>55000 + 1000</text>", "<text>__import__('os')</text>"),
    ('<text>"NR-002"</text>', '<text>"NR-002" or ().__class__</text>'),
    ('<text>? not in ("NR-001", "NR-002")</text>', '<text>? not in (</text>'),
])
def test_a_dmn_cell_breaking_the_rules_is_refused_naming_the_cell_and_its_decision(cell, what):
    xml = (BPMN_DIR / "fee_item.bpmn").read_text(encoding="utf-8")
    refused = refusal(xml, [FEES.replace(cell, what)])
    assert refused.element_id.startswith(("InputEntry_", "OutputEntry_"))
    assert ", rule " in refused.message
