"""Camunda's expression language (JUEL: `${...}`, `#{...}`) as the sandbox's Python.

Camunda Modeler writes conditions, assignees and timer values in JUEL; the engine runs
Python in a sandbox (``sandbox.py``). A diagram's JUEL text is translated once, at deploy,
and what falls outside the subset below is refused there, naming the construct, never
guessed at run time.

The subset, with JUEL's meaning kept where Python differs:

- literals `1`, `2.5`, `'text'`, `"text"`, `true`, `false`, `null`; variables by name;
- property access `a.b` and `a['b']` (a missing property is null, as JUEL's map resolver
  answers), index `a[0]`;
- `+ - * / div % mod` (`/` and `div` divide exactly, as JUEL does), unary `-`;
- `== != < > <= >=` and `eq ne lt gt le ge`; `&& || !` and `and or not`; `empty x`
  (null, '', an empty list or map); `c ? a : b`;
- a few methods Camunda users write on strings, lists and maps: `size()`, `isEmpty()`,
  `contains(x)`, `equals(x)`, `startsWith(x)`, `endsWith(x)`, `toUpperCase()`,
  `toLowerCase()`, `trim()`; and `execution.getVariable('name')`;
- composite text `Dear ${name}` becomes the joined string.

Refused: any other method or function call (Java beans, `dateTime()`, `${task.…}`),
`instanceof`, lambda and collection constructions of EL 3.0, and text mixing `${` with `#{`.
Values keep Python's rules: `'1' + 1` is an error (JUEL would coerce the text to a number).
"""

import keyword
import re

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<op>&&|\|\||==|!=|<=|>=|->|[-+*/%<>!?:.,()\[\]{}=;])
""",
    re.VERBOSE,
)

_WORD_OPERATORS = {
    "and": "&&",
    "or": "||",
    "not": "!",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "div": "/",
    "mod": "%",
}
_LITERALS = {"true": "True", "false": "False", "null": "None"}
_RESERVED = {"instanceof", "function"}
_EQUALITY, _RELATIONAL = ("==", "!="), ("<", ">", "<=", ">=")
_PYTHON_OPERATORS = {"&&": "and", "||": "or"}
_OPENING = re.compile(r"(?<!\\)[$#]\{")  # where an expression starts (not escaped with `\`)


class UnsupportedExpression(ValueError):
    """The text is JUEL the platform does not run; the message says which part and why."""


def is_juel(text):
    """True when the text holds a `${...}` or `#{...}` expression (not escaped with `\\`)."""
    return isinstance(text, str) and _OPENING.search(text) is not None


def to_python(text):
    """The sandbox Python expression equivalent to the JUEL text (see the module's subset)."""
    if not is_juel(text):
        raise UnsupportedExpression(f"{text!r} holds no ${{...}} expression")
    if re.search(r"(?<!\\)\$\{", text) and re.search(r"(?<!\\)#\{", text):
        raise UnsupportedExpression(f"{text!r} mixes ${{...}} and #{{...}}")
    parts = []
    for literal, expression in _split(text):
        if literal:
            parts.append(repr(literal))
        if expression is not None:
            parts.append(expression)
    if len(parts) == 1:
        return parts[0]
    return " + ".join(part if part.startswith(("'", '"')) else f"str({part})" for part in parts)


def _split(text):
    """(literal text, translated expression or None) pairs, left to right."""
    position = 0
    while position < len(text):
        start = _OPENING.search(text, position)
        if start is None:
            yield _unescape(text[position:]), None
            return
        end = _closing_brace(text, start.end())
        yield _unescape(text[position : start.start()]), _Parser(text[start.end() : end], text).translate()
        position = end + 1


def _unescape(literal):
    return literal.replace("\\${", "${").replace("\\#{", "#{")


def _closing_brace(text, position):
    """The index of the `}` that ends the expression starting at ``position`` (strings skipped)."""
    quote = None
    while position < len(text):
        char = text[position]
        if quote:
            if char == "\\":
                position += 1
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "}":
            return position
        position += 1
    raise UnsupportedExpression(f"{text!r}: an expression is not closed with }}")


def _tokens(source, text):
    tokens, position = [], 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            raise UnsupportedExpression(f"{text!r}: unexpected {source[position]!r}")
        kind, value = match.lastgroup, match.group()
        position = match.end()
        if kind == "space":
            continue
        if kind == "name" and value in _WORD_OPERATORS:
            kind, value = "op", _WORD_OPERATORS[value]
        tokens.append((kind, value))
    return tokens


class _Parser:
    """Recursive descent over JUEL's grammar, lowest precedence first; emits Python text."""

    def __init__(self, source, text):
        self.text = text
        self.tokens = _tokens(source, text)
        self.position = 0

    def translate(self):
        if not self.tokens:
            raise UnsupportedExpression(f"{self.text!r}: an empty expression")
        result = self.choice()
        if self.position < len(self.tokens):
            self.refuse(f"unexpected {self.tokens[self.position][1]!r}")
        return result

    def refuse(self, why):
        raise UnsupportedExpression(f"{self.text!r}: {why}")

    def peek(self, *values):
        if self.position < len(self.tokens) and self.tokens[self.position][1] in values:
            return self.tokens[self.position][1]
        return None

    def take(self, *values):
        found = self.peek(*values)
        if found is not None:
            self.position += 1
        return found

    def expect(self, value):
        if not self.take(value):
            self.refuse(f"expected {value!r}")

    def next_token(self):
        if self.position >= len(self.tokens):
            self.refuse("the expression ends too early")
        token = self.tokens[self.position]
        self.position += 1
        return token

    def choice(self):
        condition = self.binary(0)
        if not self.take("?"):
            return condition
        when_true = self.choice()
        self.expect(":")
        when_false = self.choice()
        return f"({when_true} if {condition} else {when_false})"

    _LEVELS = (("||",), ("&&",), _EQUALITY, _RELATIONAL, ("+", "-"), ("*", "/", "%"))

    def binary(self, level):
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while operator := self.take(*self._LEVELS[level]):
            right = self.binary(level + 1)
            left = f"({left} {_PYTHON_OPERATORS.get(operator, operator)} {right})"
        return left

    def unary(self):
        if self.take("!"):
            return f"(not {self.unary()})"
        if self.take("-"):
            return f"(-{self.unary()})"
        if self.peek("empty") and self._names_operator():
            self.position += 1
            value = self.unary()
            return f"({value} is None or {value} == '' or {value} == [] or {value} == {{}})"
        return self.postfix(self.primary())

    def _names_operator(self):
        """`empty` is an operator when an operand follows it (otherwise a variable's name)."""
        following = self.tokens[self.position + 1] if self.position + 1 < len(self.tokens) else None
        return following is not None and (following[0] != "op" or following[1] in ("(", "!", "-"))

    def primary(self):
        kind, value = self.next_token()
        if kind == "number":
            return value
        if kind == "string":
            return repr(_string_value(value))
        if value == "(":
            inner = self.choice()
            self.expect(")")
            return inner
        if kind == "name":
            return self.name(value)
        self.refuse(f"unexpected {value!r}")

    def name(self, value):
        if value in _LITERALS:
            return _LITERALS[value]
        if value in _RESERVED:
            self.refuse(f"{value!r} is not supported")
        if value == "execution" and self.peek("."):
            return self.execution_variable()
        if self.peek("("):
            self.refuse(f"the function {value}() is not supported")
        if value.startswith("_") or "$" in value or keyword.iskeyword(value):
            self.refuse(f"the variable name {value!r} cannot be used")
        return value

    def execution_variable(self):
        self.expect(".")
        kind, method = self.next_token()
        if method != "getVariable" or not self.take("("):
            self.refuse(f"execution.{method} is not supported (only execution.getVariable('name'))")
        kind, argument = self.next_token()
        name = _string_value(argument) if kind == "string" else None
        self.expect(")")
        if name is None or not name.isidentifier() or name.startswith("_") or keyword.iskeyword(name):
            self.refuse("execution.getVariable takes a variable's name in quotes")
        return name

    def postfix(self, value):
        while True:
            if self.take("["):
                index = self.choice()
                self.expect("]")
                value = f"{value}[{index}]"
            elif self.take("."):
                kind, member = self.next_token()
                if kind != "name":
                    self.refuse(f"a property name must follow '.', not {member!r}")
                value = self.method(value, member) if self.take("(") else f"{value}.get({member!r})"
            else:
                return value

    _METHODS = {
        "size": (0, "len({0})"),
        "isEmpty": (0, "({0} == '' or {0} == [] or {0} == {{}})"),
        "contains": (1, "({1} in {0})"),
        "equals": (1, "({0} == {1})"),
        "startsWith": (1, "{0}.startswith({1})"),
        "endsWith": (1, "{0}.endswith({1})"),
        "toUpperCase": (0, "{0}.upper()"),
        "toLowerCase": (0, "{0}.lower()"),
        "trim": (0, "{0}.strip()"),
    }

    def method(self, target, name):
        arguments = []
        while not self.take(")"):
            if arguments:
                self.expect(",")
            arguments.append(self.choice())
        if name not in self._METHODS:
            self.refuse(f"the method {name}() is not supported")
        count, template = self._METHODS[name]
        if len(arguments) != count:
            self.refuse(f"{name}() takes {count} argument(s)")
        return template.format(target, *arguments)


def _string_value(token):
    body = token[1:-1]
    return re.sub(r"\\(.)", r"\1", body)
