"""The contracts between the parts (services.common.contracts): every event's payload as its
producer builds it is what its consumers parse, after the trip through the broker; the
producers, consumers and the gateway's calls all go through a contract; every RPC contract is
what its service's entrypoint takes."""

import ast
import importlib
import inspect
import json
import typing
from pathlib import Path

import pytest

from services.common.contracts import events, rpc
from services.common.contracts.events import ContractBroken, Event

REPO_ROOT = Path(__file__).resolve().parents[3]
CONTRACTS = {name: value for name, value in vars(events).items() if isinstance(value, Event)}
EVENT_NAMES = {contract.name for contract in CONTRACTS.values()}
EXCHANGES = {contract.exchange for contract in CONTRACTS.values()}
SAMPLES = {str: "2026-12-03T01:02:03+00:00", int: 7, bool: True, dict: {"seq": 1}, list: ["a"], typing.Any: "a"}


def sample(kind):
    """A value of ``kind`` (the first option of a union)."""
    if kind in SAMPLES:
        return SAMPLES[kind]
    origin, options = typing.get_origin(kind), typing.get_args(kind)
    if origin is list:
        return [sample(options[0])]
    return sample(options[0])  # X | None


def full_payload(contract):
    return {key: sample(kind) for key, kind in contract.fields.items()}


def over_the_broker(payload):
    """nameko's events travel as JSON (kombu's json serializer)."""
    return json.loads(json.dumps(payload))


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_what_the_producer_builds_the_consumer_parses_after_the_broker(name):
    contract = CONTRACTS[name]
    event_name, built = contract.event(**full_payload(contract))
    assert event_name == contract.name and contract.exchange == f"{contract.source}.events"
    assert contract.parse(over_the_broker(built)) == built
    assert contract.required <= built.keys()


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_a_producer_that_drops_adds_or_mistypes_a_key_is_refused(name):
    contract = CONTRACTS[name]
    payload = full_payload(contract)
    for key in payload:
        with pytest.raises(ContractBroken, match=key):
            contract.build(**{k: v for k, v in payload.items() if k != key})
    with pytest.raises(ContractBroken, match="unknown"):
        contract.build(**payload, not_in_the_contract=1)
    key = next(iter(payload))
    with pytest.raises(ContractBroken, match=key):
        contract.build(**dict(payload, **{key: object()}))


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_a_consumer_refuses_a_payload_without_its_required_keys_and_takes_one_without_the_others(name):
    contract = CONTRACTS[name]
    payload = full_payload(contract)
    for key in payload:
        without = {k: v for k, v in payload.items() if k != key}
        if key in contract.required:
            with pytest.raises(ContractBroken, match=key):
                contract.parse(without)
        else:
            assert contract.parse(without) == without
    assert contract.parse(dict(payload, added_by_a_newer_release=1))["added_by_a_newer_release"] == 1
    with pytest.raises(ContractBroken):
        contract.parse([payload])


def test_types_are_checked_as_json_carries_them():
    built = events.CASE_DECIDED.build(
        case_no="C1", outcome="approved", decided_at="t", decided_by=None, on_the_spot=False, window=None
    )
    assert built["window"] is None
    with pytest.raises(ContractBroken, match="window"):
        events.CASE_DECIDED.parse(dict(built, window=True))  # a bool is no window number
    with pytest.raises(ContractBroken, match="missing_materials"):
        events.SUPPLEMENT_REQUESTED.parse({"case_no": "C1", "requested_at": "t", "missing_materials": "a, b"})
    with pytest.raises(ContractBroken, match="missing_materials"):
        events.SUPPLEMENT_REQUESTED.parse({"case_no": "C1", "requested_at": "t", "missing_materials": [1]})


# -- every producer and consumer goes through a contract -------------------------------------


def python_files(*directories):
    for directory in directories:
        yield from sorted((REPO_ROOT / directory).rglob("*.py"))


def contract_names(tree):
    """Names that stand for the event contracts module or one of its contracts in a module."""
    modules, contracts = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "services.common.contracts":
            modules |= {alias.asname or alias.name for alias in node.names if alias.name == "events"}
        elif isinstance(node, ast.ImportFrom) and node.module == "services.common.contracts.events":
            contracts |= {alias.asname or alias.name for alias in node.names}
    return modules, contracts


def names_a_contract(node, modules, contracts):
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules:
        return isinstance(getattr(events, node.attr, None), Event)
    return isinstance(node, ast.Name) and node.id in contracts


def built_by_a_contract(node):
    """``*<contract>.event(...)``: a ``(name, payload)`` pair a contract built."""
    return (
        isinstance(node, ast.Starred)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr == "event"
    )


def is_dispatch(node):
    return isinstance(node, ast.Attribute) and node.attr == "dispatch"


# The approval's outbox holds the (name, payload) pairs its steps built through the contracts
# when they were saved (hall_flow.py, instances.py); announcing sends them as stored.
OUTBOX_REPLAY = ("services/approval/service.py", "_announce")


def test_every_event_handler_and_dispatch_in_the_services_goes_through_a_contract():
    handlers, dispatches, broken = 0, 0, []
    for path in python_files("services"):
        where = path.relative_to(REPO_ROOT).as_posix()
        tree = ast.parse(path.read_text(), where)
        modules, contracts = contract_names(tree)
        functions = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]
        for function in functions:
            for decorator in function.decorator_list:
                if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", None) == "event_handler":
                    handlers += 1
                    if not (decorator.args and names_a_contract(decorator.args[0], modules, contracts)):
                        broken.append(f"{where}:{decorator.lineno} handles an event no contract names")
            for node in ast.walk(function):
                if not isinstance(node, ast.Call):
                    continue
                if is_dispatch(node.func):
                    args = node.args
                elif any(is_dispatch(arg) for arg in node.args):  # later(self.dispatch, ...)
                    args = node.args[1:]
                else:
                    continue
                dispatches += 1
                if (where, function.name) == OUTBOX_REPLAY:
                    continue
                if not (len(args) == 1 and built_by_a_contract(args[0])):
                    broken.append(f"{where}:{node.lineno} dispatches an event no contract built")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Tuple)
                and len(node.elts) == 2
                and isinstance(node.elts[0], ast.Constant)
                and node.elts[0].value in EVENT_NAMES
                and isinstance(node.elts[1], (ast.Dict, ast.Call))
            ):
                broken.append(f"{where}:{node.lineno} pairs the event name {node.elts[0].value!r} with a payload")
    assert handlers >= 26 and dispatches >= 11  # the scan sees them all
    assert not broken, "\n".join(broken)


def handlers_with_contracts():
    """``(where, handler, contract)`` of every ``@event_handler(events.X)`` in the services."""
    for path in python_files("services"):
        where = path.relative_to(REPO_ROOT).as_posix()
        tree = ast.parse(path.read_text(), where)
        modules, contracts = contract_names(tree)
        for function in (node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)):
            for decorator in function.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and getattr(decorator.func, "id", None) == "event_handler"
                    and decorator.args
                    and names_a_contract(decorator.args[0], modules, contracts)
                ):
                    node = decorator.args[0]
                    yield where, function, getattr(events, node.attr if isinstance(node, ast.Attribute) else node.id)


def test_a_handler_indexes_only_the_keys_its_contract_requires_and_reads_only_keys_it_has():
    broken = []
    for where, function, contract in handlers_with_contracts():
        payload = function.args.args[1].arg  # after self
        for node in ast.walk(function):
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.value, ast.Name)
                and node.value.id == payload
                and isinstance(node.slice, ast.Constant)
                and node.slice.value not in contract.required
            ):
                broken.append(
                    f"{where}:{node.lineno} {function.name} indexes {node.slice.value!r}, "
                    f"which {contract.name} does not require"
                )
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == payload
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value not in contract.fields
            ):
                broken.append(
                    f"{where}:{node.lineno} {function.name} reads {node.args[0].value!r}, "
                    f"which {contract.name} does not carry"
                )
    assert not broken, "\n".join(broken)


def test_no_part_names_an_event_exchange_or_routing_key_by_hand():
    found = []
    for path in python_files("services", "gateway"):
        if path.parent.name == "contracts":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.keyword)
                and node.arg in ("routing_key", "exchange")
                and isinstance(node.value, ast.Constant)
            ):
                found.append(f"{path.relative_to(REPO_ROOT)}:{node.value.lineno} {node.value.value!r}")
            if isinstance(node, ast.Constant) and node.value in EXCHANGES:
                found.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno} {node.value!r}")
    assert not found, "\n".join(found)


# -- RPC --------------------------------------------------------------------------------------


def entrypoint(service, method):
    cls = next(
        value
        for value in vars(importlib.import_module(f"services.{service}.service")).values()
        if inspect.isclass(value) and getattr(value, "name", None) == service
    )
    return getattr(cls, method)


def arguments(function):
    parameters = list(inspect.signature(function).parameters.values())[1:]  # self
    return ", ".join(p.name + ("=" if p.default is not inspect.Parameter.empty else "") for p in parameters)


@pytest.mark.parametrize("service", sorted(rpc.SERVICES))
def test_every_rpc_contract_is_what_the_services_entrypoint_takes(service):
    for method, contract in rpc.SERVICES[service].methods.items():
        function = entrypoint(service, method)
        assert getattr(function, "nameko_entrypoints", None), f"{service}.{method} is no entrypoint"
        assert contract.arguments == arguments(function), f"{service}.{method}"


def rpc_calls(tree):
    """``<x>.<service>.<method>(...)`` where ``<service>`` is a service's name."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr in rpc.SERVICES
        ):
            yield node, node.func.value.attr, node.func.attr


def test_every_rpc_call_of_the_gateway_names_a_contract_and_fits_its_arguments():
    calls, broken = 0, []
    for path in python_files("gateway"):
        where = path.relative_to(REPO_ROOT).as_posix()
        tree = ast.parse(path.read_text(), where)
        for node in ast.walk(tree):
            if (
                where != "gateway/rpc.py"
                and isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "call"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                broken.append(f"{where}:{node.lineno} calls {node.args[0].value!r} by name, not through a contract")
        for node, service, method in rpc_calls(tree):
            calls += 1
            contract = rpc.SERVICES[service].methods.get(method)
            if contract is None:
                broken.append(f"{where}:{node.lineno} {service}.{method} has no contract")
                continue
            if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
                continue  # splatted arguments: checked when called (gateway.rpc.Services)
            try:
                contract.check([None] * len(node.args), {k.arg: None for k in node.keywords if k.arg != "timeout"})
            except TypeError as exc:
                broken.append(f"{where}:{node.lineno} {exc}")
    assert calls >= 85  # the scan sees them all
    assert not broken, "\n".join(broken)


class Recorder:
    def __init__(self):
        self.calls = []

    def call(self, service, method, *args, timeout=None, **kwargs):
        self.calls.append((service, method, args, kwargs))
        return "answer"


def test_the_gateway_sends_only_calls_that_fit_a_contract():
    from gateway.rpc import Services

    client = Recorder()
    services = Services(client)
    assert services.intake.submit_case({"item_code": "X"}, idempotency="k") == "answer"
    assert client.calls == [("intake", "submit_case", ({"item_code": "X"},), {"idempotency": "k"})]
    with pytest.raises(AttributeError):
        services.intake.submit_cases({})
    with pytest.raises(AttributeError):
        services.archive.ping()
    with pytest.raises(TypeError, match="intake.submit_case"):
        services.intake.submit_case({}, "k", "too many")
    with pytest.raises(TypeError, match="intake.get_case"):
        services.intake.get_case("C1", who="nobody")
    assert len(client.calls) == 1


def test_a_handler_gets_its_payload_through_the_contract():
    from nameko.testing.services import worker_factory

    from services.approval.service import ApprovalService

    service = worker_factory(ApprovalService)
    with pytest.raises(ContractBroken, match="deadline"):
        service.on_case_extended({"case_no": "C1", "approved_at": "t", "deadline": 20261203})
    service.on_case_extended({"case_no": "C1", "approved_at": "t", "deadline": None})  # nothing to move
    service.processes.move_deadline.assert_not_called()
