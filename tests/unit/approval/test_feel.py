"""FEEL cells of DMN tables (as Camunda Modeler saves them) translated to the sandbox's Python."""

from pathlib import Path

import pytest

from services.approval import feel, sandbox
from services.approval.bpmn_engine import InvalidDiagram, dmn_as_python
from services.approval.expression_check import check_expressions

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "diagrams"
VENUE_TIERS = (CORPUS / "camunda_venue_tier.dmn").read_text(encoding="utf-8")
BUSINESS_RULE = (CORPUS / "camunda_business_rule_ranges.bpmn").read_bytes()


def matches(cell, value, **data):
    """Whether the input entry ``cell`` accepts ``value``, as SpiffWorkflow evaluates it."""
    match = feel.unary_tests(cell)
    if match == "-":
        return True
    return sandbox.SandboxScriptEngine().environment.evaluate(
        match.replace("?", "dmninputexpr"), data, {"dmninputexpr": value}
    )


@pytest.mark.parametrize(
    "cell, accepted, refused",
    [
        ("[0..1000[", [0, 999.5], [-1, 1000]),
        ("]5..10]", [5.5, 10], [5, 11]),
        ("(5..10)", [6], [5, 10]),
        ("< 100", [99], [100]),
        (">= 18", [18, 40], [17]),
        ('"exhibition","sports"', ["sports"], ["concert"]),
        ('not("exhibition", "sports")', ["concert"], ["sports"]),
        ("< 10, > 20", [5, 25], [15]),
        ("-", [None, "x"], []),
        ('"办证"', ["办证"], ["办 证"]),
        ('"it\'s \\"?\\""', ['it\'s "?"'], ["it's ?"]),
        ("42", [42, 42.0], [41]),
        ("-2.5", [-2.5], [2.5]),
        ("true", [True], [False, 1]),
        ("false", [False], [0, None]),
        ("null", [None], [0, ""]),
        ('date("2026-01-01")', ["2026-01-01"], ["2026-01-02"]),
        ('[date("2026-01-01")..date("2026-12-31")]', ["2026-06-30"], ["2027-01-01"]),
        ("> limit", [11], [10]),
    ],
)
def test_each_unary_test_accepts_what_feel_accepts(cell, accepted, refused):
    assert all(matches(cell, value, limit=10) for value in accepted)
    assert not any(matches(cell, value, limit=10) for value in refused)


@pytest.mark.parametrize(
    "cell, value",
    [
        ('"district"', "district"),
        ("0", 0),
        ("-3", -3),
        ("true", True),
        ("null", None),
        ('date("2026-01-01")', "2026-01-01"),
    ],
)
def test_an_output_literal_becomes_its_value(cell, value):
    assert sandbox.SandboxScriptEngine().environment.evaluate(feel.output(cell), {}) == value


@pytest.mark.parametrize(
    "cell, why",
    [
        ("? > 5", "unexpected '?'"),
        ("[1..5", "an interval ends with"),
        ('matches(x, "a")', "functions"),
        ("applicant.age", "paths"),
        ('date("2026-13-01")', "YYYY-MM-DD"),
        ("not 5", "expected a value"),
        ('date and time("2026-01-01T00:00:00")', "expected '('"),
        ("5 6", "unexpected '6'"),
    ],
)
def test_a_unary_test_outside_the_subset_is_refused_saying_why(cell, why):
    with pytest.raises(feel.UnsupportedExpression) as refused:
        feel.unary_tests(cell)
    assert why in refused.value.message


def test_a_table_declared_feel_refuses_a_cell_outside_the_subset_naming_decision_rule_and_cell():
    table = VENUE_TIERS.replace(
        'exporter="Camunda Modeler"', 'expressionLanguage="https://www.omg.org/spec/DMN/20191111/FEEL/"'
    )
    table = table.replace("<text>[1000..5000]</text>", "<text>attendance.count > 1000</text>")
    with pytest.raises(InvalidDiagram) as refused:
        dmn_as_python(table.encode())
    assert refused.value.element_id == "UnaryTests_0l1r2g3"
    assert (
        "UnaryTests_0l1r2g3 (审批层级 Approval tier, rule 2): the input entry 'attendance.count > 1000' is "
        "not FEEL the platform runs" in refused.value.message
    )


def test_a_cell_in_another_language_is_refused():
    table = VENUE_TIERS.replace(
        '<outputEntry id="LiteralExpression_1l2r3g4">',
        '<outputEntry id="LiteralExpression_1l2r3g4" expressionLanguage="javascript">',
    )
    with pytest.raises(InvalidDiagram) as refused:
        dmn_as_python(table.encode())
    assert refused.value.element_id == "LiteralExpression_1l2r3g4"
    assert "'javascript'" in refused.value.message


def test_without_a_declared_language_a_cell_that_is_not_feel_stays_python():
    table = VENUE_TIERS.replace("<text>[1000..5000]</text>", "<text>? &gt;= 1000 and ? &lt;= 5000</text>")
    texts = [node.text for node in dmn_as_python(table.encode()).iter("{*}text")]
    assert "? >= 1000 and ? <= 5000" in texts and "0 <= ? < 1000" in texts
    check_expressions(BUSINESS_RULE, [table.encode()])


def test_a_table_declared_python_is_left_as_written():
    table = VENUE_TIERS.replace('exporter="Camunda Modeler"', 'expressionLanguage="python"')
    texts = [node.text for node in dmn_as_python(table.encode()).iter("{*}text")]
    assert "[0..1000[" in texts
    with pytest.raises(InvalidDiagram) as refused:
        check_expressions(BUSINESS_RULE, [table.encode()])
    assert refused.value.element_id == "UnaryTests_0s1m2l3"


def test_a_cell_neither_feel_nor_python_is_refused_at_deploy():
    table = VENUE_TIERS.replace("<text>[1000..5000]</text>", "<text>[1000..5000</text>")
    with pytest.raises(InvalidDiagram) as refused:
        check_expressions(BUSINESS_RULE, [table.encode()])
    assert refused.value.element_id == "UnaryTests_0l1r2g3"
