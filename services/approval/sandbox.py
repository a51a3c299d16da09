"""The script engine for expressions that come from uploaded diagrams.

Gateway conditions, script tasks, timer expressions and DMN cells are Python text written by
process designers and uploaded over HTTP. SpiffWorkflow's default engine runs them with plain
`eval`/`exec` and full builtins; this one runs them in a sandbox:

- the source is parsed and checked before it runs: no imports, no function or class
  definitions, no names or attributes starting with `_`, and only attributes from a short
  allow-list (dict/str/list/date methods), which closes `().__class__.__base__.__subclasses__()`,
  `"{0.__class__}".format(x)` and generator-frame walks (`gi_frame.f_globals`);
- builtins are a safe list (no `open`, `getattr`, `eval`, `__import__`, `type`, …);
- size bombs are refused: `**`, `*` and `<<` go through checks of the result's size, `range`
  is capped;
- time is bounded: code with a loop or comprehension runs under a tracer that stops it after
  `TIME_LIMIT_SECONDS`.

A refused or failing expression raises; SpiffWorkflow turns that into a task error, which the
approval service records as an incident on the instance.
"""
import ast
import builtins
import datetime
import decimal
import math
import sys
import time
from functools import lru_cache

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import (
    BasePythonScriptEngineEnvironment,
)

TIME_LIMIT_SECONDS = 1.0
MAX_SOURCE_CHARS = 10_000
MAX_SEQUENCE = 100_000
MAX_INT_BITS = 4096
FILENAME = "<bpmn expression>"


class SandboxViolation(ValueError):
    """The expression tries something the sandbox does not allow."""


SAFE_BUILTINS = {
    name: getattr(builtins, name)
    for name in ("abs", "all", "any", "bool", "dict", "divmod", "enumerate", "float", "int", "isinstance",
                 "len", "list", "max", "min", "reversed", "round", "set", "sorted", "str", "sum", "tuple",
                 "zip", "Exception", "ValueError", "KeyError", "TypeError", "ZeroDivisionError")
}

# Attributes an expression may read or call: plain data methods only.
ALLOWED_ATTRIBUTES = frozenset((
    "get", "items", "keys", "values", "pop", "setdefault", "update", "copy", "append", "extend", "insert",
    "remove", "index", "count", "sort", "reverse", "upper", "lower", "strip", "lstrip", "rstrip", "split",
    "rsplit", "join", "startswith", "endswith", "replace", "title", "isdigit", "isalpha", "zfill", "year",
    "month", "day", "hour", "minute", "second", "microsecond", "weekday", "isoweekday", "isoformat", "date",
    "time", "days", "seconds", "total_seconds", "tzinfo", "astimezone", "timestamp", "real", "imag", "add",
    "union", "intersection", "difference",
))

FORBIDDEN_NODES = (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.FunctionDef, ast.AsyncFunctionDef,
                   ast.ClassDef, ast.Lambda, ast.AsyncFor, ast.AsyncWith, ast.Await, ast.Yield, ast.YieldFrom,
                   ast.With, ast.Try, ast.Raise, ast.Delete, ast.NamedExpr)
LOOP_NODES = (ast.For, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _check_size(value):
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        raise SandboxViolation("number too large")
    if isinstance(value, (str, bytes, list, tuple)) and len(value) > MAX_SEQUENCE:
        raise SandboxViolation("sequence too large")
    return value


def _pow(base, exponent):
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and \
            abs(base) > 1 and exponent * max(abs(base).bit_length(), 1) > MAX_INT_BITS:
        raise SandboxViolation("number too large")
    return _check_size(base ** exponent)


def _mult(left, right):
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, (str, bytes, list, tuple)) and isinstance(count, int) and \
                len(sequence) * max(count, 0) > MAX_SEQUENCE:
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


_GUARDED_OPS = {ast.Pow: "_sandbox_pow", ast.Mult: "_sandbox_mult", ast.LShift: "_sandbox_lshift"}
_GUARDS = {"_sandbox_pow": _pow, "_sandbox_mult": _mult, "_sandbox_lshift": _lshift}


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
    """`a ** b`, `a * b` and `a << b` (also augmented) become calls to the size checks."""

    def visit_BinOp(self, node):
        self.generic_visit(node)
        guard = _GUARDED_OPS.get(type(node.op))
        if guard is None:
            return node
        return ast.copy_location(ast.Call(ast.Name(guard, ast.Load()), [node.left, node.right], []), node)

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        guard = _GUARDED_OPS.get(type(node.op))
        if guard is None or not isinstance(node.target, ast.Name):
            return node
        call = ast.Call(ast.Name(guard, ast.Load()), [ast.Name(node.target.id, ast.Load()), node.value], [])
        return ast.copy_location(ast.Assign([node.target], call), node)


@lru_cache(maxsize=4096)
def _compile(source, mode):
    """Check and compile once per distinct text; returns (code, needs a time limit)."""
    if not isinstance(source, str):
        raise SandboxViolation("an expression must be text")
    if len(source) > MAX_SOURCE_CHARS:
        raise SandboxViolation(f"an expression may be at most {MAX_SOURCE_CHARS} characters")
    tree = ast.parse(source.strip() if mode == "eval" else source, FILENAME, mode)
    _Checker().visit(tree)
    looping = any(isinstance(node, LOOP_NODES) for node in ast.walk(tree))
    tree = ast.fix_missing_locations(_Guard().visit(tree))
    return compile(tree, FILENAME, mode), looping


def _run_bounded(run, looping):
    """Run; code that loops is traced and stopped after TIME_LIMIT_SECONDS (only frames of
    sandboxed code are traced, and only while it runs: no greenthread switch happens inside)."""
    if not looping:
        return run()
    deadline = time.monotonic() + TIME_LIMIT_SECONDS

    def tracer(frame, event, arg):
        if frame.f_code.co_filename != FILENAME:
            return None
        if time.monotonic() > deadline:
            raise SandboxViolation(f"the expression ran longer than {TIME_LIMIT_SECONDS} s")
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        return run()
    finally:
        sys.settrace(previous)


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates and executes against the task data with only safe names in reach."""

    def __init__(self, functions=None):
        super().__init__({"range": _range, "Decimal": decimal.Decimal, "timedelta": datetime.timedelta,
                          "date": datetime.date, "datetime": datetime.datetime, "floor": math.floor,
                          "ceil": math.ceil, **(functions or {})})

    def _namespace(self, context, external_context):
        return {"__builtins__": SAFE_BUILTINS, **_GUARDS, **self.globals, **(external_context or {}), **context}

    def evaluate(self, expression, context, external_context=None):
        code, looping = _compile(expression, "eval")
        namespace = self._namespace(context, external_context)
        return _run_bounded(lambda: eval(code, namespace), looping)

    def execute(self, script, context, external_context=None):
        code, looping = _compile(script, "exec")
        namespace = self._namespace(context, external_context)
        _run_bounded(lambda: exec(code, namespace), looping)  # noqa: S102 -- checked code, safe builtins
        reserved = {"__builtins__", *_GUARDS, *self.globals, *(external_context or {})}
        context.update({name: value for name, value in namespace.items()
                        if name not in reserved and not callable(value)})
        return True


class SandboxScriptEngine(PythonScriptEngine):
    def __init__(self, functions=None):
        super().__init__(environment=SandboxEnvironment(functions))

    def validate(self, expression):
        _compile(expression, "exec")
