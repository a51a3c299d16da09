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


@pytest.mark.parametrize(
    "diagram, text, changed, element_id, said",
    [
        (
            "immediate_item.bpmn",
            'decision == "approved"',
            "decision == (",
            "Flow_approved",
            ("Flow_approved (approved)", "the condition 'decision == (' does not parse"),
        ),
        (
            "promised_item.bpmn",
            "<bpmn:script>deadline",
            "<bpmn:script>x = ().__class__\ndeadline",
            "set_time_limit",
            ("set_time_limit (计算承诺时限 Set the time limit)", "'__class__' is not allowed"),
        ),
        (
            "promised_item.bpmn",
            'camunda:dueDate="deadline"',
            'camunda:dueDate="deadline.__class__"',
            "review",
            ("review (审查 Review)", "the due date"),
        ),
    ],
    ids=["condition", "script", "due date"],
)
def test_an_expression_breaking_the_rules_is_refused_naming_the_element(diagram, text, changed, element_id, said):
    refused = refusal((BPMN_DIR / diagram).read_text(encoding="utf-8").replace(text, changed, 1))
    assert refused.element_id == element_id
    assert all(part in refused.message for part in said)


@pytest.mark.parametrize(
    "cell, what",
    [
        ("<text>55000 + 1000</text>", "<text>__import__('os')</text>"),
        ('<text>"NR-002"</text>', '<text>"NR-002" or ().__class__</text>'),
        ('<text>? not in ("NR-001", "NR-002")</text>', "<text>? not in (</text>"),
    ],
)
def test_a_dmn_cell_breaking_the_rules_is_refused_naming_the_cell_and_its_decision(cell, what):
    xml = (BPMN_DIR / "fee_item.bpmn").read_text(encoding="utf-8")
    refused = refusal(xml, [FEES.replace(cell, what)])
    assert refused.element_id.startswith(("InputEntry_", "OutputEntry_"))
    assert ", rule " in refused.message
