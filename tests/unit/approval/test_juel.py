"""Camunda's JUEL expressions, translated to the sandbox's Python and evaluated there."""

from pathlib import Path

import pytest

from services.approval import bpmn_engine
from services.approval.bpmn_engine import InvalidDiagram
from services.approval.juel import UnsupportedExpression, is_juel, to_python
from services.approval.sandbox import SandboxEnvironment


def evaluate(text, **data):
    return SandboxEnvironment().evaluate(to_python(text), data)


@pytest.mark.parametrize(
    ("text", "data", "expected"),
    [
        ("${approved}", {"approved": True}, True),
        ("${!approved}", {"approved": True}, False),
        ("#{not approved}", {"approved": False}, True),
        ("${amount > 1000 && approved}", {"amount": 1500, "approved": True}, True),
        ("${amount gt 1000 and approved}", {"amount": 999, "approved": True}, False),
        ("${amount >= 1000 || urgent}", {"amount": 10, "urgent": True}, True),
        ("${decision == 'accept'}", {"decision": "accept"}, True),
        ('${decision eq "refuse"}', {"decision": "accept"}, False),
        ("${decision ne 'refuse'}", {"decision": "accept"}, True),
        ("${a lt b}", {"a": 1, "b": 2}, True),
        ("${a le b and b ge a}", {"a": 2, "b": 2}, True),
        ("${7 / 2}", {}, 3.5),
        ("${7 div 2}", {}, 3.5),
        ("${7 mod 4 + 7 % 4}", {}, 6),
        ("${-amount * 2}", {"amount": 3}, -6),
        ("${2 + 3 * 4}", {}, 14),
        ("${(2 + 3) * 4}", {}, 20),
        ("${applicant.kind == 'company'}", {"applicant": {"kind": "company"}}, True),
        ("${applicant['kind']}", {"applicant": {"kind": "person"}}, "person"),
        ("${applicant.missing == null}", {"applicant": {}}, True),
        ("${departments[1]}", {"departments": ["tax", "police"]}, "police"),
        ("${empty comment}", {"comment": ""}, True),
        ("${empty comment}", {"comment": None}, True),
        ("${empty items}", {"items": []}, True),
        ("${not empty items}", {"items": [1]}, True),
        ("${empty count}", {"count": 0}, False),
        ("${empty}", {"empty": "a variable named empty"}, "a variable named empty"),
        ("${urgent ? 1 : 5}", {"urgent": False}, 5),
        ("${amount > 100 ? 'high' : amount > 10 ? 'mid' : 'low'}", {"amount": 50}, "mid"),
        ("${true && !false}", {}, True),
        ("${null == missing}", {"missing": None}, True),
        ("${items.size() == 2}", {"items": [1, 2]}, True),
        ("${items.isEmpty()}", {"items": []}, True),
        ("${roles.contains('chief')}", {"roles": ["clerk", "chief"]}, True),
        ("${name.equals('张三')}", {"name": "张三"}, True),
        ("${code.startsWith('MR') && code.endsWith('1')}", {"code": "MR-001"}, True),
        ("${name.toUpperCase().trim()}", {"name": " ab "}, "AB"),
        ("${execution.getVariable('approved')}", {"approved": True}, True),
        ("${initiator}", {"initiator": "clerk"}, "clerk"),
        (
            "Dear ${name}, your case ${case_no} is ready",
            {"name": "张三", "case_no": "C1"},
            "Dear 张三, your case C1 is ready",
        ),
        ("${'it\\'s'}", {}, "it's"),
        ("${1.5e1 + .5}", {}, 15.5),
    ],
)
def test_a_juel_expression_means_the_same_in_the_sandbox(text, data, expected):
    assert evaluate(text, **data) == expected


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("${bean.calculate(amount)}", "calculate()"),
        ("${dateTime().plusDays(1)}", "dateTime()"),
        ("${execution.setVariable('a', 1)}", "execution.setVariable"),
        ("${x instanceof y}", "instanceof"),
        ("${a = 1}", "'='"),
        ("${__class__}", "'__class__'"),
        ("${(a}", "expected ')'"),
        ("${a +}", "ends too early"),
        ("${}", "empty expression"),
        ("${a} #{b}", "mixes"),
        ("${x -> x + 1}", "'->'"),
        ("${a", "not closed"),
        ("${lambda}", "cannot be used"),
        ("${items.size(1)}", "takes 0 argument"),
    ],
)
def test_what_the_platform_does_not_run_is_refused_naming_it(text, named):
    with pytest.raises(UnsupportedExpression) as refused:
        to_python(text)
    assert named in str(refused.value)
    assert repr(text) in str(refused.value)


def test_a_property_named_like_a_dunder_cannot_reach_python_internals():
    # `a.__class__` becomes a dictionary lookup, never an attribute read.
    assert to_python("${a.__class__}") == "a.get('__class__')"
    assert evaluate("${a.__class__}", a={}) is None


def test_juel_is_recognised_only_when_an_expression_is_there():
    assert is_juel("${a}") and is_juel("#{a}") and is_juel("x ${a} y")
    assert not is_juel("amount > 1000") and not is_juel("\\${literal}") and not is_juel(None)


def test_escaped_expressions_stay_literal_text():
    assert evaluate("price \\${x} is ${x}", x=5) == "price ${x} is 5"


# --- in a deployed diagram -------------------------------------------------------------

REVIEW = (Path(__file__).resolve().parents[2] / "fixtures" / "camunda_modeler_review.bpmn").read_text()


def review_with(pass_condition, fail_condition='${verdict == "fail"}', attributes=""):
    text = REVIEW.replace('>verdict == "pass"<', f"{attributes}>{pass_condition}<")
    return text.replace('>verdict == "fail"<', f">{fail_condition}<").encode()


def run_review(diagram, **data):
    workflow = bpmn_engine.start(diagram, {})
    [review] = bpmn_engine.open_user_tasks(workflow)
    bpmn_engine.complete_task(workflow, review["id"], data)
    return [task["element_id"] for task in bpmn_engine.open_user_tasks(workflow)]


def test_juel_conditions_in_a_camunda_diagram_route_the_case():
    diagram = bpmn_engine.parse_diagram(
        review_with("${verdict == 'pass' &amp;&amp; (empty pages || pages gt 0)}", "${verdict ne 'pass'}")
    )
    assert run_review(diagram, verdict="pass", pages=3) == ["Activity_sign"]
    assert run_review(diagram, verdict="fail") == []


def test_a_juel_condition_outside_the_subset_is_refused_naming_its_sequence_flow():
    with pytest.raises(InvalidDiagram) as refused:
        bpmn_engine.parse_diagram(review_with("${reviewService.passed(execution)}"))
    assert refused.value.element_id == "Flow_pass"
    assert "passed() is not supported" in str(refused.value)


def test_a_condition_in_another_script_language_is_refused():
    with pytest.raises(InvalidDiagram) as refused:
        bpmn_engine.parse_diagram(review_with("verdict === 'pass'", attributes=' language="javascript"'))
    assert refused.value.element_id == "Flow_pass"
    assert "'javascript' are not supported" in str(refused.value)


def test_a_juel_due_date_is_evaluated_on_the_case_data():
    diagram = bpmn_engine.parse_diagram(
        REVIEW.replace('camunda:dueDate="${sign_due}"', 'camunda:dueDate="${dates.sign}"').encode()
    )
    workflow = bpmn_engine.start(diagram, {"dates": {"sign": "2030-07-01T17:00:00+08:00"}})
    [review] = bpmn_engine.open_user_tasks(workflow)
    bpmn_engine.complete_task(workflow, review["id"], {"verdict": "pass"})
    [sign] = bpmn_engine.open_user_tasks(workflow)
    assert sign["due"] == "2030-07-01T17:00:00+08:00"
