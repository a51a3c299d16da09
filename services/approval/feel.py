"""DMN cells written in FEEL (as Camunda Modeler saves them) as the sandbox's Python.

SpiffWorkflow's DMN engine evaluates cells as Python: an input entry either holds `?` (the
input's value) or is compared with the input (`== cell`, or `input cell` for `< 5`). A
table's FEEL cells are rewritten once, when the diagram is parsed, into that Python, and a
cell outside the subset below is refused naming the decision, the rule and the cell.

Which cells are FEEL: a cell's `expressionLanguage`, else the table's (on `definitions`),
decides — a FEEL URI (any value naming `feel`) or `python`; any other language is refused.
With none declared (Camunda Modeler's and spiff-arena's tables alike), a cell that is one of
the FEEL forms below is read as FEEL and any other cell as Python: where both languages
read a cell (`"a"`, `5`, `< 10`) they mean the same, and the FEEL-only forms (`[1..5]`,
`"a","b"`, `not("a")`, `true`) mean nothing useful as Python.

The subset:

- input entries (unary tests): `-` (any value); a value (equal to it); `< v`, `<= v`, `> v`,
  `>= v`; an interval `[a..b]` whose ends are open with `]a..` / `(a..` and `..b[` / `..b)`;
  several of these separated by commas (any of them); `not(...)` around such a list;
- values: numbers (`-2.5`), strings in double quotes, `true`, `false`, `null`,
  `date("2026-01-01")` (case data holds dates as ISO text, which compares in date order),
  and a variable's name;
- output entries: a literal value (number, string, `true`, `false`, `null`, `date(...)`).

Refused when declared FEEL (and read as Python when nothing is declared): every other FEEL
form — functions such as `date and time()`, `matches()`, arithmetic, paths `a.b`, `?`.
"""

import keyword
import re
from datetime import date

from lxml import etree

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\.\.|<=|>=|[-<>\[\]().,])
""",
    re.VERBOSE,
)
_LITERALS = {"true": "True", "false": "False", "null": "None"}
_IDENTITY = {"True": "is", "False": "is", "None": "is"}  # FEEL's `true` is not the number 1
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


class UnsupportedExpression(ValueError):
    """A cell the platform does not run; `element_id` is the cell's id, the message says why."""

    def __init__(self, element_id, message):
        super().__init__(message)
        self.element_id = element_id
        self.message = message


def translate_tables(root):
    """Rewrite the FEEL cells of a parsed DMN document (``root``) as Python, in place."""
    table_language = root.get("expressionLanguage")
    for decision in root.iter("{*}decision"):
        for table in decision.iter("{*}decisionTable"):
            for number, rule in enumerate(table.findall("{*}rule"), 1):
                for entry in rule:
                    local = etree.QName(entry).localname
                    if local in ("inputEntry", "outputEntry"):
                        _translate_cell(decision, number, entry, local, table_language)


def unary_tests(text):
    """The Python match for a FEEL input entry: a boolean expression over `?`."""
    if text.strip() == "-":
        return "-"
    parser = _Parser(text)
    negated = parser.peek("name", "not") and parser.tokens[1:2] == [("op", "(")]
    if negated:
        parser.position = 2
    tests = [parser.positive()]
    while parser.take("op", ","):
        tests.append(parser.positive())
    if negated:
        parser.expect(")")
    parser.end()
    joined = tests[0] if len(tests) == 1 else " or ".join(f"({test})" for test in tests)
    return f"not ({joined})" if negated else joined


def output(text):
    """The Python literal for a FEEL output entry."""
    parser = _Parser(text)
    value = parser.literal()
    parser.end()
    return value


def _translate_cell(decision, number, entry, local, table_language):
    text_node = entry.find("{*}text")
    text = (text_node.text or "").strip() if text_node is not None else ""
    if not text:
        return
    language = (entry.get("expressionLanguage") or table_language or "").lower()
    what = "input entry" if local == "inputEntry" else "output entry"
    name = f"{entry.get('id')} ({decision.get('name') or decision.get('id')}, rule {number})"
    if language and "feel" not in language and language != "python":
        raise UnsupportedExpression(
            entry.get("id"), f"{name}: the {what} is in {language!r}; DMN cells are FEEL or Python"
        )
    if language == "python":
        return
    try:
        text_node.text = unary_tests(text) if local == "inputEntry" else output(text)
    except UnsupportedExpression as error:
        if language:
            raise UnsupportedExpression(
                entry.get("id"), f"{name}: the {what} {text!r} is not FEEL the platform runs: {error.message}"
            ) from None


class _Parser:
    """The tokens of one cell, read left to right; each method emits Python text."""

    def __init__(self, text):
        self.text, self.tokens, self.position = text, [], 0
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:
                self.refuse(f"unexpected {text[position]!r}")
            if match.lastgroup != "space":
                self.tokens.append((match.lastgroup, match.group()))
            position = match.end()

    def refuse(self, why):
        raise UnsupportedExpression(None, why)

    def peek(self, kind, *values):
        if self.position < len(self.tokens):
            found_kind, value = self.tokens[self.position]
            if found_kind == kind and (not values or value in values):
                return value
        return None

    def take(self, kind, *values):
        found = self.peek(kind, *values)
        if found is not None:
            self.position += 1
        return found

    def expect(self, value):
        if not self.take("op", value):
            self.refuse(f"expected {value!r}")

    def end(self):
        if self.position < len(self.tokens):
            self.refuse(f"unexpected {self.tokens[self.position][1]!r}")

    def positive(self):
        """One unary test: a comparison, an interval or a value."""
        if operator := self.take("op", "<", "<=", ">", ">="):
            return f"? {operator} {self.value()}"
        if opening := self.take("op", "[", "]", "("):
            low = self.value()
            self.expect("..")
            high = self.value()
            closing = self.take("op", "]", "[", ")")
            if closing is None:
                self.refuse("an interval ends with ], [ or )")
            return f"{low} {'<=' if opening == '[' else '<'} ? {'<=' if closing == ']' else '<'} {high}"
        value = self.value()
        return f"? {_IDENTITY.get(value, '==')} {value}"

    def value(self):
        """A literal or a variable's name."""
        if self.peek("name") and self.peek("name") not in (*_LITERALS, "date", "not"):
            name = self.take("name")
            if keyword.iskeyword(name) or name.startswith("_"):
                self.refuse(f"the name {name!r} cannot be used")
            if self.peek("op", "(", "."):
                self.refuse(f"paths and functions ({name}{self.tokens[self.position][1]}…) are not supported")
            return name
        return self.literal()

    def literal(self):
        if self.take("op", "-"):
            number = self.take("number")
            if number is None:
                self.refuse("'-' must be followed by a number")
            return f"-{number}"
        if number := self.take("number"):
            return number
        if string := self.take("string"):
            return _python_string(_string_value(string))
        if self.take("name", "date"):
            self.expect("(")
            text = self.take("string")
            self.expect(")")
            return _python_string(_iso_date(text))
        if word := self.take("name", *_LITERALS):
            return _LITERALS[word]
        found = self.tokens[self.position][1] if self.position < len(self.tokens) else "the end"
        self.refuse(f"expected a value, found {found!r}")


def _string_value(token):
    return re.sub(r"\\(.)", lambda match: _ESCAPES.get(match.group(1), match.group(1)), token[1:-1])


def _iso_date(token):
    value = _string_value(token) if token else ""
    try:
        if len(value) == 10 and date.fromisoformat(value):
            return value
    except ValueError:
        pass
    raise UnsupportedExpression(None, f'date() takes a date written "YYYY-MM-DD", not {token or "nothing"}')


def _python_string(value):
    """A Python string literal without quote or `?` characters inside, so that SpiffWorkflow's
    search for `?` outside quotes finds only the input's mark."""
    return '"' + "".join(c if c.isprintable() and c not in "\"'\\?" else f"\\U{ord(c):08x}" for c in value) + '"'
