"""Process designers' own diagrams (tests/fixtures/diagrams, described by its manifest.yaml)
driven through the engine's functions: the flow drawn in Camunda Modeler 7, spiff-arena or a
plain BPMN modeler is the flow that runs, or the diagram is refused naming the element.

A collaboration runs as the hall runs it: a message one instance throws reaches the instance
that waits for it, or starts its partner process (``collaboration.exchange``); the steps see
the open tasks of every instance, and the case ends where the first one ends.

An entry with `gap` names something the engine cannot do yet; it is a strict xfail, so an
entry that starts passing fails until its `gap` line is removed.
"""

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from services.approval import bpmn_engine, collaboration
from services.approval.expression_check import check_expressions
from services.approval.forms import validate_form_data
from services.common import time as platform_time

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "diagrams"
MANIFEST = yaml.safe_load((CORPUS / "manifest.yaml").read_text(encoding="utf-8"))
FLAVOURS = ("camunda", "spiff", "plain")
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def _entries():
    return [
        pytest.param(
            entry, id=name, marks=[pytest.mark.xfail(strict=True, reason=entry["gap"])] if "gap" in entry else []
        )
        for name, entry in MANIFEST.items()
    ]


@pytest.fixture
def clock():
    """Moves the platform clock (what timers read); puts it back afterwards."""
    yield platform_time.set_clock_offset
    platform_time.set_clock_offset(timedelta(0))


def parse(entry):
    """The diagram with what it needs, through the deployment's own checks (parsing and every
    expression): decision tables as XML, forms as parsed JSON by file name, the diagrams holding
    the processes it calls (`needs.called`) as XML, as the deployment passes the versions it
    resolved. A refusal comes back as the engine's InvalidDiagram."""
    needs = entry.get("needs", {})
    dmn = tuple((CORPUS / name).read_bytes() for name in needs.get("dmn", ()))
    forms = {name: json.loads((CORPUS / name).read_text(encoding="utf-8")) for name in needs.get("forms", ())}
    called = tuple((CORPUS / name).read_bytes() for name in needs.get("called", ()))
    xml = (CORPUS / entry["file"]).read_bytes()
    diagram = bpmn_engine.parse_diagram(xml, entry["file"], dmn=dmn, forms=forms, called=called)
    check_expressions(xml, dmn)
    return diagram


def _duration(text):
    days, hours, minutes, seconds = (int(part or 0) for part in _DURATION.match(text).groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _open(parties):
    return [(party.workflow, task) for party in parties for task in bpmn_engine.open_user_tasks(party.workflow)]


def _open_ids(parties):
    return sorted(task["element_id"] for _, task in _open(parties))


def _complete(parties, step):
    workflow, task = next(((w, t) for w, t in _open(parties) if t["element_id"] == step["complete"]), (None, None))
    assert task is not None, f"{step['complete']} is not open; open: {_open_ids(parties)}"
    for key, expected in step.get("expect", {}).items():
        found = [field["id"] for field in task["form"]] if key == "form" else task.get(key)
        assert found == expected, f"{step['complete']}: {key}"
    bpmn_engine.complete_task(workflow, task["id"], validate_form_data(task["form"], step.get("data", {})))


def _move_clock(workflow, step, clock, moved):
    if "clock_to" in step:
        moved = datetime.fromisoformat(step["clock_to"]) - datetime.now(timezone.utc)
    else:
        moved += _duration(step["clock"])
    clock(moved)
    fired = bpmn_engine.fire_due_timers(workflow)
    if "fired" in step:
        assert fired == step["fired"]
    return moved


def _deliver(workflow, step):
    assert step["deliver"] in bpmn_engine.waiting_messages(workflow), bpmn_engine.waiting_messages(workflow)
    caught_by = bpmn_engine.deliver_message(workflow, step["deliver"], step.get("data", {}))
    assert caught_by == step.get("caught_by", caught_by) and caught_by is not None


def _incidents(parties):
    return [found for party in parties if (found := bpmn_engine.incident(party.workflow)) is not None]


def run(entry, clock):
    """The entry's steps; returns the case's instances, its own process's first."""
    diagram = parse(entry)
    parties = [collaboration.Party(diagram.process_id, bpmn_engine.start(diagram, entry.get("data", {})))]
    workflow = parties[0].workflow
    started_with = {key: value for key, value in entry.get("data", {}).items() if key == "case_no"}
    moved = timedelta(0)
    for step in entry.get("steps", ()):
        collaboration.exchange(diagram, parties, started_with)
        assert _incidents(parties) == []
        if "complete" in step:
            _complete(parties, step)
        elif "open" in step:
            assert _open_ids(parties) == sorted(step["open"])
        elif "clock" in step or "clock_to" in step:
            moved = _move_clock(workflow, step, clock, moved)
        elif "deliver" in step:
            _deliver(workflow, step)
        elif "waiting" in step:
            assert sorted(bpmn_engine.waiting_messages(workflow)) == sorted(step["waiting"])
        else:
            raise AssertionError(f"unknown step {step}")
    collaboration.exchange(diagram, parties, started_with)
    return parties


@pytest.mark.parametrize("entry", _entries())
def test_the_diagram_runs_as_drawn_or_is_refused_naming_the_element(entry, clock):
    if "refused" in entry:
        with pytest.raises(bpmn_engine.InvalidDiagram) as refused:
            parse(entry)
        assert refused.value.element_id == entry["refused"]["element"]
        assert entry["refused"]["reason_contains"] in refused.value.message
        return
    parties = run(entry, clock)
    workflow = parties[0].workflow

    assert _incidents(parties) == []
    assert _open(parties) == []
    assert bpmn_engine.end_event(workflow) == entry["runs_to"]
    data = bpmn_engine.workflow_data(workflow)
    assert {key: data.get(key) for key in entry.get("data_after", {})} == entry.get("data_after", {})


def test_every_file_in_the_corpus_is_described_and_every_file_named_is_there():
    named = set()
    for name, entry in MANIFEST.items():
        assert entry["flavour"] in FLAVOURS, name
        assert ("runs_to" in entry) != ("refused" in entry), f"{name}: runs_to or refused"
        assert "\n" not in entry.get("gap", ""), f"{name}: a gap is one line"
        named.add(entry["file"])
        named.update(*entry.get("needs", {}).values())
    files = {path.name for path in CORPUS.iterdir()} - {"manifest.yaml"}
    assert named == files
