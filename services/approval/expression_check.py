"""The deployment's check of every piece of Python in a diagram and its DMN tables.

Conditions, scripts (also spiff-arena's pre- and post-scripts), timer expressions, due dates,
multi-instance expressions, correlation expressions and DMN cells (FEEL cells as translated by
`feel`) are parsed and checked
against the sandbox's rules (`sandbox.check`) when a version is deployed, so that a syntax
error or a refused construct is reported to the process designer, naming the element, instead
of becoming an incident on a case. Versions deployed before are not checked again when they
are loaded: their expressions still meet the same rules when they run.
"""

import ast
import re
from dataclasses import dataclass

from lxml import etree

from services.approval import sandbox
from services.approval.bpmn_engine import (
    CAMUNDA_NAMESPACE,
    InvalidDiagram,
    camunda_expression,
    dmn_as_python,
    owner,
    python_expression,
)

# Element (local name) holding Python -> (what it is, mode, how its text becomes the expression).
_BPMN_TEXTS = {
    "conditionExpression": ("condition", "eval", python_expression),
    "condition": ("condition", "eval", python_expression),
    "script": ("script", "exec", str),
    "preScript": ("pre-script", "exec", str),
    "postScript": ("post-script", "exec", str),
    "timeDuration": ("timer expression", "eval", camunda_expression),
    "timeDate": ("timer expression", "eval", camunda_expression),
    "timeCycle": ("timer expression", "eval", camunda_expression),
    "loopCardinality": ("loop cardinality", "eval", python_expression),
    "completionCondition": ("completion condition", "eval", python_expression),
    "formalExpression": ("correlation expression", "eval", str),
}
# Where a `formalExpression` is a correlation or timer expression (elsewhere it is not Python).
_PARTS = (
    "timerEventDefinition",
    "conditionalEventDefinition",
    "multiInstanceLoopCharacteristics",
    "extensionElements",
    "correlationPropertyRetrievalExpression",
)
# DMN's `?` (the input's value) outside quotes, as SpiffWorkflow's DMN engine finds it.
_DMN_INPUT_MARK = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


@dataclass(frozen=True)
class _Expression:
    element: object  # the BPMN or DMN element the refusal names
    what: str
    text: str
    source: str
    mode: str


def check_expressions(bpmn_xml, dmn_tables=()):
    """Raise InvalidDiagram naming the first element whose Python does not parse or breaks
    the sandbox's rules."""
    found = list(_bpmn_expressions(etree.fromstring(bpmn_xml, _XML_PARSER)))
    for table in dmn_tables:
        found += _dmn_expressions(dmn_as_python(table))
    for expression in found:
        try:
            sandbox.check(expression.source, expression.mode)
        except SyntaxError as error:
            _refuse(expression, f"does not parse: {error.msg} (line {error.lineno})")
        except sandbox.SandboxViolation as violation:
            _refuse(expression, f"is not allowed: {violation}")


def _refuse(expression, reason):
    element = expression.element
    name = element.get("name") or element.get("label")
    label = f"{element.get('id')} ({name})" if name else element.get("id")
    raise InvalidDiagram(element.get("id"), f"{label}: the {expression.what} {expression.text!r} {reason}")


def _bpmn_expressions(root):
    for node in root.iter(etree.Element):
        local = etree.QName(node).localname
        if (
            local in _BPMN_TEXTS
            and (node.text or "").strip()
            and (local != "formalExpression" or etree.QName(node.getparent()).localname in _PARTS)
        ):
            what, mode, convert = _BPMN_TEXTS[local]
            text = node.text.strip()
            yield _Expression(owner(node), what, text, convert(text), mode)
        due_date = node.get(f"{{{CAMUNDA_NAMESPACE}}}dueDate")
        if due_date and due_date.strip():
            yield _Expression(node, "due date", due_date, camunda_expression(due_date.strip()), "eval")


def _dmn_expressions(root):
    for decision in root.iter("{*}decision"):
        for table in decision.iter("{*}decisionTable"):
            inputs = [_text(item.find("{*}inputExpression")) for item in table.findall("{*}input")]
            for item, text in zip(table.findall("{*}input"), inputs):
                if text:
                    yield _Expression(item, "input expression", text, text, "eval")
            for number, rule in enumerate(table.findall("{*}rule"), 1):
                yield from _rule_expressions(decision, number, rule, inputs)


def _rule_expressions(decision, number, rule, inputs):
    for entry, input_text in zip(rule.findall("{*}inputEntry"), inputs):
        text = _text(entry)
        if text and text != "-":
            yield _Expression(_cell(decision, number, entry), "input entry", text, _match(input_text, text), "eval")
    for entry in rule.findall("{*}outputEntry"):
        text = _text(entry)
        if text:
            yield _Expression(_cell(decision, number, entry), "output entry", text, text, "eval")


def _match(input_text, entry):
    """The expression SpiffWorkflow's DMN engine evaluates for one input cell."""
    if _DMN_INPUT_MARK.search(entry):
        return _DMN_INPUT_MARK.sub("dmninputexpr", entry)
    try:
        ast.parse(entry)
    except SyntaxError:
        return f"{input_text}{entry}"  # `> 5`, `in ("a", "b")`: the input's value on the left
    return f"({input_text}) == ({entry})"


def _cell(decision, number, entry):
    """A stand-in element naming a DMN cell: its id, and decision and rule for its name."""
    name = f"{decision.get('name') or decision.get('id')}, rule {number}"
    return etree.Element("cell", id=entry.get("id") or f"{decision.get('id')}_rule_{number}", name=name)


def _text(node):
    found = node.find("{*}text") if node is not None else None
    return (found.text or "").strip() if found is not None else ""
