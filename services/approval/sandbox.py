"""The script engine for expressions that come from uploaded diagrams.

Gateway conditions, script tasks, timer expressions, due dates and DMN cells are Python text
written by process designers and uploaded over HTTP. SpiffWorkflow's default engine runs them
with plain `eval`/`exec` and full builtins; this one runs them in a sandbox:

- the source is parsed and checked (at deployment, see `check`, and again before it runs): no
  imports, no function or class definitions, no names or attributes starting with `_`, and
  only attributes from a short allow-list (dict/str/list/date methods), which closes
  `().__class__.__base__.__subclasses__()`, `"{0.__class__}".format(x)` and generator-frame
  walks (`gi_frame.f_globals`);
- builtins are a safe list (no `open`, `getattr`, `eval`, `__import__`, `type`, …);
- every operator, call, f-string and comprehension is followed by a check of the size of
  what it built (at most `MAX_SEQUENCE` items or characters); `**`, `*` and `<<` are checked
  before they compute, `range` is capped;
- *plain* code runs in the service's own process: one short statement (an expression, or
  one assignment) of comparisons, boolean logic, attribute and item access, literals,
  `+ - / //` and the checked `* ** <<`, f-strings without format specs, and calls of a few
  cheap functions and methods (`PLAIN_FUNCTIONS`, `PLAIN_METHODS`, the functions the
  service offers). Nothing plain loops or builds a value much larger than the task data, so
  it ends in microseconds (decided and measured in docs/decisions/0002);
- everything else (loops, comprehensions, `%` formatting, `int()`, `zfill`, `join`,
  `replace`, several statements…) runs in a worker process (`sandbox_pool`,
  `sandbox_worker`) that is killed after `TIME_LIMIT_SECONDS` and may not use more than
  `sandbox_worker.MEMORY_LIMIT_BYTES`;
- what a script leaves in the task data holds at most `MAX_DATA_UNITS` characters and items
  in all: a case's state keeps a copy of the data per task and must fit the store's 16 MB
  documents.

A refused or failing expression raises; SpiffWorkflow turns that into a task error, which the
approval service records as an incident on the instance.
"""

import ast
import builtins
import datetime
import decimal
import importlib
import math
import operator
from dataclasses import dataclass
from functools import lru_cache

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import (
    BasePythonScriptEngineEnvironment,
)

from services.approval.sandbox_pool import WorkerFailed, WorkerPool, WorkerTimedOut
from services.common.time import clock_offset

TIME_LIMIT_SECONDS = 1.0
MAX_SOURCE_CHARS = 10_000
MAX_PLAIN_CHARS = 300
MAX_SEQUENCE = 100_000
MAX_INT_BITS = 4096
MAX_DATA_UNITS = 1_000_000  # characters, bytes and items of the task data after a script
WHAT = {"eval": "expression", "exec": "script"}
FILENAME = "<bpmn expression>"


class SandboxViolation(ValueError):
    """The expression tries something the sandbox does not allow."""


SAFE_BUILTINS = {
    name: getattr(builtins, name)
    for name in (
        "abs",
        "all",
        "any",
        "bool",
        "dict",
        "divmod",
        "enumerate",
        "float",
        "int",
        "isinstance",
        "len",
        "list",
        "max",
        "min",
        "reversed",
        "round",
        "set",
        "sorted",
        "str",
        "sum",
        "tuple",
        "zip",
        "Exception",
        "ValueError",
        "KeyError",
        "TypeError",
        "ZeroDivisionError",
    )
}

# Attributes an expression may read or call: plain data methods only.
ALLOWED_ATTRIBUTES = frozenset(
    (
        "get",
        "items",
        "keys",
        "values",
        "pop",
        "setdefault",
        "update",
        "copy",
        "append",
        "extend",
        "insert",
        "remove",
        "index",
        "count",
        "sort",
        "reverse",
        "upper",
        "lower",
        "strip",
        "lstrip",
        "rstrip",
        "split",
        "rsplit",
        "join",
        "startswith",
        "endswith",
        "replace",
        "title",
        "isdigit",
        "isalpha",
        "zfill",
        "year",
        "month",
        "day",
        "hour",
        "minute",
        "second",
        "microsecond",
        "weekday",
        "isoweekday",
        "isoformat",
        "date",
        "time",
        "days",
        "seconds",
        "total_seconds",
        "tzinfo",
        "astimezone",
        "timestamp",
        "real",
        "imag",
        "add",
        "union",
        "intersection",
        "difference",
    )
)

FORBIDDEN_NODES = (
    ast.Import,
    ast.ImportFrom,
    ast.Global,
    ast.Nonlocal,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Lambda,
    ast.AsyncFor,
    ast.AsyncWith,
    ast.Await,
    ast.Yield,
    ast.YieldFrom,
    ast.With,
    ast.Try,
    ast.Raise,
    ast.Delete,
    ast.NamedExpr,
)


_SIZED = (str, bytes, bytearray, list, tuple, dict, set, frozenset)


def _check_size(value):
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        raise SandboxViolation("number too large")
    if isinstance(value, _SIZED) and len(value) > MAX_SEQUENCE:
        raise SandboxViolation(f"sequence too large (more than {MAX_SEQUENCE} items or characters)")
    return value


def _method(receiver, name, *args, **kwargs):
    """`receiver.name(...)`, then size checks of its result and of the receiver (`extend`)."""
    result = getattr(receiver, name)(*args, **kwargs)
    _check_size(receiver)
    return _check_size(result)


def _pow(base, exponent):
    if (
        isinstance(base, int)
        and isinstance(exponent, int)
        and exponent > 0
        and abs(base) > 1
        and exponent * max(abs(base).bit_length(), 1) > MAX_INT_BITS
    ):
        raise SandboxViolation("number too large")
    return _check_size(base**exponent)


def _mult(left, right):
    for sequence, count in ((left, right), (right, left)):
        if (
            isinstance(sequence, (str, bytes, list, tuple))
            and isinstance(count, int)
            and len(sequence) * max(count, 0) > MAX_SEQUENCE
        ):
            raise SandboxViolation("sequence too large")
    return _check_size(left * right)


def _lshift(left, right):
    if isinstance(right, int) and right > MAX_INT_BITS:
        raise SandboxViolation("number too large")
    return _check_size(left << right)


def _range(*args):
    bounded = range(*args)
    if len(bounded) > MAX_SEQUENCE:
        raise SandboxViolation(f"range longer than {MAX_SEQUENCE}")
    return bounded


# Operators whose result is checked once computed (`+` of two 60,000-character texts).
_CHECKED_AFTERWARDS = {
    "Add": operator.add,
    "Sub": operator.sub,
    "Div": operator.truediv,
    "FloorDiv": operator.floordiv,
    "Mod": operator.mod,
    "RShift": operator.rshift,
    "BitOr": operator.or_,
    "BitAnd": operator.and_,
    "BitXor": operator.xor,
    "MatMult": operator.matmul,
}


def _operator(operation):
    def checked(left, right):
        return _check_size(operation(left, right))

    return checked


_GUARDED_OPS = {
    ast.Pow: "_sandbox_pow",
    ast.Mult: "_sandbox_mult",
    ast.LShift: "_sandbox_lshift",
    **{getattr(ast, name): f"_sandbox_{name.lower()}" for name in _CHECKED_AFTERWARDS},
}
_GUARDS = {
    "_sandbox_pow": _pow,
    "_sandbox_mult": _mult,
    "_sandbox_lshift": _lshift,
    "_sandbox_sized": _check_size,
    "_sandbox_method": _method,
    **{f"_sandbox_{name.lower()}": _operator(function) for name, function in _CHECKED_AFTERWARDS.items()},
}


class _Checker(ast.NodeVisitor):
    def generic_visit(self, node):
        if isinstance(node, FORBIDDEN_NODES):
            raise SandboxViolation(f"{type(node).__name__} is not allowed in an expression")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise SandboxViolation(f"name {node.id!r} is not allowed")
        if isinstance(node, ast.Attribute) and (node.attr.startswith("_") or node.attr not in ALLOWED_ATTRIBUTES):
            raise SandboxViolation(f"attribute {node.attr!r} is not allowed")
        if isinstance(node, ast.keyword) and node.arg and node.arg.startswith("_"):
            raise SandboxViolation(f"argument {node.arg!r} is not allowed")
        super().generic_visit(node)


class _Guard(ast.NodeTransformer):
    """Every operator (also augmented), call, f-string and comprehension becomes a call that
    checks the size of what it built; `a ** b`, `a * b` and `a << b` are refused beforehand."""

    def visit_BinOp(self, node):
        self.generic_visit(node)
        guard = _GUARDED_OPS[type(node.op)]
        return ast.copy_location(ast.Call(ast.Name(guard, ast.Load()), [node.left, node.right], []), node)

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        if not isinstance(node.target, ast.Name):
            return node  # `d[k] += v`: the worker's memory limit and the data check bound it
        call = ast.Call(
            ast.Name(_GUARDED_OPS[type(node.op)], ast.Load()), [ast.Name(node.target.id, ast.Load()), node.value], []
        )
        return ast.copy_location(ast.Assign([node.target], call), node)

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Attribute):
            method = ast.Call(
                ast.Name("_sandbox_method", ast.Load()),
                [node.func.value, ast.Constant(node.func.attr), *node.args],
                node.keywords,
            )
            return ast.copy_location(method, node)
        return _sized(node)

    def _visit_built(self, node):
        self.generic_visit(node)
        return _sized(node)

    visit_JoinedStr = visit_ListComp = visit_SetComp = visit_DictComp = _visit_built


def _sized(node):
    return ast.copy_location(ast.Call(ast.Name("_sandbox_sized", ast.Load()), [node], []), node)


# What plain code may call: nothing here loops over more than its arguments or returns a
# value much larger than them (`int` is missing: `int(Decimal('1e1000000'))` takes a minute).
PLAIN_FUNCTIONS = frozenset(
    ("abs", "bool", "len", "str", "float", "isinstance", "min", "max", "Decimal", "date", "datetime", "timedelta")
)
PLAIN_METHODS = frozenset(
    (
        "get",
        "items",
        "keys",
        "values",
        "copy",
        "index",
        "count",
        "upper",
        "lower",
        "strip",
        "lstrip",
        "rstrip",
        "title",
        "isdigit",
        "isalpha",
        "startswith",
        "endswith",
        "isoformat",
        "date",
        "time",
        "weekday",
        "isoweekday",
        "total_seconds",
        "timestamp",
        "astimezone",
    )
)
_PLAIN_NODES = (
    ast.Expression,
    ast.Module,
    ast.Expr,
    ast.Assign,
    ast.Name,
    ast.Load,
    ast.Store,
    ast.Constant,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.Tuple,
    ast.List,
    ast.Set,
    ast.Dict,
    ast.Call,
    ast.keyword,
    ast.Starred,
    ast.JoinedStr,
    ast.FormattedValue,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.IfExp,
    ast.Compare,
    ast.cmpop,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Div,
    ast.FloorDiv,
    ast.Mult,
    ast.Pow,
    ast.LShift,
)


def _is_plain(source, tree, offered):
    """Whether the checked ``tree`` is plain (see the module docstring); ``offered`` names the
    service's own functions, which are plain too. Plain code is short and one statement: what
    it builds is then bounded by the task data times its few references to it (names cannot
    be rebound to compound a value, as `a = [a, a]` repeated would)."""
    if len(source) > MAX_PLAIN_CHARS or isinstance(tree, ast.Module) and len(tree.body) != 1:
        return False
    for node in ast.walk(tree):
        if not isinstance(node, _PLAIN_NODES):
            return False
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            return False  # f"{x:>999999999}"
        if isinstance(node, ast.Assign) and not all(isinstance(target, ast.Name) for target in node.targets):
            return False
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name)
            and node.func.id in PLAIN_FUNCTIONS | offered
            or isinstance(node.func, ast.Attribute)
            and node.func.attr in PLAIN_METHODS
        ):
            return False
    return True


@dataclass(frozen=True)
class _Compiled:
    code: object
    plain: bool


@lru_cache(maxsize=4096)
def _compile(source, mode, offered=frozenset()):
    """Check, classify and compile once per distinct text."""
    if not isinstance(source, str):
        raise SandboxViolation("an expression must be text")
    if len(source) > MAX_SOURCE_CHARS:
        raise SandboxViolation(f"an expression may be at most {MAX_SOURCE_CHARS} characters")
    tree = ast.parse(source.strip() if mode == "eval" else source, FILENAME, mode)
    _Checker().visit(tree)
    plain = _is_plain(source, tree, offered)
    tree = ast.fix_missing_locations(_Guard().visit(tree))
    return _Compiled(compile(tree, FILENAME, mode), plain)


def check(source, mode):
    """The deployment's check of one expression (``mode`` "eval") or script ("exec"): raises
    SyntaxError or SandboxViolation."""
    _compile(source, mode)


def check_data(value, what="the result"):
    """Refuse a value with a part longer than MAX_SEQUENCE or more than MAX_DATA_UNITS in all."""
    budget, stack = MAX_DATA_UNITS, [value]
    while stack:  # every occurrence counts, as it will when stored; a cycle exhausts the budget
        item = stack.pop()
        if isinstance(item, (str, bytes, bytearray)):
            size = len(item)
        elif isinstance(item, int) and item.bit_length() > MAX_INT_BITS:
            raise SandboxViolation(f"{what} holds a number larger than {MAX_INT_BITS} bits")
        elif isinstance(item, (dict, list, tuple, set, frozenset)):
            size = len(item)
            stack.extend(item.items() if isinstance(item, dict) else item)
        else:
            size = 1
        if size > MAX_SEQUENCE:
            raise SandboxViolation(f"{what} holds a value of {size} items or characters (at most {MAX_SEQUENCE})")
        budget -= size + 1
        if budget < 0:
            raise SandboxViolation(f"{what} would be larger than {MAX_DATA_UNITS} characters and items")
    return value


def _function_reference(function):
    """`module:qualname` by which a worker imports one of the service's functions, or None."""
    reference = f"{getattr(function, '__module__', '')}:{getattr(function, '__qualname__', '<')}"
    return reference if "<" not in reference and _import(reference) is function else None


def _import(reference):
    module, _, qualname = reference.partition(":")
    found = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return found


# Builtins (SAFE_BUILTINS aside) every expression can use.
_BASE_GLOBALS = {
    "range": _range,
    "Decimal": decimal.Decimal,
    "timedelta": datetime.timedelta,
    "date": datetime.date,
    "datetime": datetime.datetime,
    "floor": math.floor,
    "ceil": math.ceil,
}
_WORKERS = WorkerPool()
_WORKER_ERRORS = {
    name: getattr(builtins, name)
    for name in (
        "NameError",
        "KeyError",
        "IndexError",
        "TypeError",
        "ValueError",
        "AttributeError",
        "ZeroDivisionError",
        "OverflowError",
        "ArithmeticError",
    )
}


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates and executes against the task data with only safe names in reach: plain code
    here, the rest in a worker process (where only functions importable by name are offered)."""

    def __init__(self, functions=None):
        functions = functions or {}
        super().__init__({**_BASE_GLOBALS, **functions})
        self._offered = frozenset(functions)
        self._references = {
            name: reference for name, function in functions.items() if (reference := _function_reference(function))
        }

    def _namespace(self, context, external_context):
        return {"__builtins__": SAFE_BUILTINS, **_GUARDS, **self.globals, **(external_context or {}), **context}

    def _variables(self, namespace, external_context):
        reserved = {"__builtins__", *_GUARDS, *self.globals, *(external_context or {})}
        return check_data(
            {name: value for name, value in namespace.items() if name not in reserved and not callable(value)},
            "the task data",
        )

    def evaluate(self, expression, context, external_context=None):
        compiled = _compile(expression, "eval", self._offered)
        if not compiled.plain:
            return self._in_worker(expression, "eval", context, external_context)
        return eval(compiled.code, self._namespace(context, external_context))

    def execute(self, script, context, external_context=None):
        compiled = _compile(script, "exec", self._offered)
        if compiled.plain:
            namespace = self._namespace(context, external_context)
            exec(compiled.code, namespace)  # noqa: S102 -- checked code, safe builtins
            context.update(self._variables(namespace, external_context))
        else:
            context.update(self._in_worker(script, "exec", context, external_context))
        return True

    def _in_worker(self, source, mode, context, external_context):
        job = {
            "source": source,
            "mode": mode,
            "context": context,
            "external_context": external_context or {},
            "functions": self._references,
            "clock_offset": clock_offset().total_seconds(),
        }
        try:
            answer = _WORKERS.run(job, TIME_LIMIT_SECONDS)
        except WorkerTimedOut:
            raise SandboxViolation(f"the {WHAT[mode]} ran longer than {TIME_LIMIT_SECONDS} s") from None
        except WorkerFailed as failure:
            raise SandboxViolation(f"the {WHAT[mode]} could not be run: {failure}") from None
        if "error" not in answer:
            return answer["value"]
        name, message = answer["error"]
        if name == "SandboxViolation":
            raise SandboxViolation(message)
        raise _WORKER_ERRORS.get(name, SandboxViolation)(f"{name}: {message}")

    def run_here(self, job):
        """A worker's part of `_in_worker`: the value, or the variables a script leaves."""
        namespace = self._namespace(job["context"], job["external_context"])
        code = _compile(job["source"], job["mode"], self._offered).code
        if job["mode"] == "eval":
            return check_data(eval(code, namespace))
        exec(code, namespace)  # noqa: S102 -- checked code, safe builtins
        return self._variables(namespace, job["external_context"])


def run_in_worker(job):
    """Run one job in a worker process, with the functions its environment offered."""
    functions = {name: _import(reference) for name, reference in job["functions"].items()}
    return SandboxEnvironment(functions).run_here(job)


class SandboxScriptEngine(PythonScriptEngine):
    def __init__(self, functions=None):
        super().__init__(environment=SandboxEnvironment(functions))

    def validate(self, expression):
        _compile(expression, "exec")
