"""Deployed process versions: validation on deploy, version numbering, and a cache of
parsed diagrams so that an instance is restored against its own version's spec.

A call activity that calls a process in another diagram is resolved here, at deploy, to one
deployed version of that process (the pinned one, else the latest then), kept with the caller's
version: a deployed caller, and every case on it, runs the same called version until the caller
itself is deployed again.

A collaboration's partner processes (those that start with a message) deploy with the process a
case starts, each under its own key, from the same content: a message the process throws starts
the partner version deployed with it (``deployed_with``).

A process whose message start event catches a message starts on it from any file: the name is
held for its key at deploy (``MessageStart``), and a message no partner of the thrower's
collaboration catches starts the latest deployed version of that key (``started_by``). One
process per message start name, as in Camunda: a deploy whose start message another deployed
process starts with (at its latest version) is refused naming both."""

import hashlib
import json
import logging
import threading
from pathlib import Path

import mongoengine as me
from lxml import etree

from services.approval import bpmn_engine, expression_check, models, roles
from services.common.db import count_of
from services.common.errors import InvalidInput, NotFound
from services.common.staff_roles import STAFF_ROLES

log = logging.getLogger(__name__)


class DefinitionRegistry:
    def __init__(self):
        self._parsed = {}
        self._lock = threading.Lock()

    def deploy(self, xml, filename, now, dmn=(), forms=None):
        """Store ``xml`` (with the DMN decision tables ``dmn`` and the spiff-arena form schemas
        ``forms`` — ``{filename: schema}`` — it uses) as the next version of its process unless
        that content is already deployed; its collaboration's partner processes likewise, each
        under its key (``partners`` in the summary). Returns ``(summary, created)``; a bad
        diagram raises InvalidInput naming the element."""
        xml = _bytes(xml)
        dmn = [_bytes(table) for table in dmn]
        forms = {name: forms[name] for name in sorted(forms or {})}
        called = resolve_calls(xml)
        diagram = _checked(xml, filename, dmn, forms, called)
        self._hold_message_starts([*diagram.partners.values(), diagram])
        content = hashlib.sha256(xml)
        for table in dmn:
            content.update(hashlib.sha256(table).digest())
        if forms:
            content.update(hashlib.sha256(json.dumps(forms, sort_keys=True).encode("utf-8")).digest())
        if called:
            content.update(hashlib.sha256(json.dumps(called).encode("utf-8")).digest())
        stored = dict(
            content_hash=content.hexdigest(),
            filename=filename,
            xml=xml.decode("utf-8"),
            dmn=[table.decode("utf-8") for table in dmn],
            deployed_at=now,
            forms=[
                {"filename": name, "schema": json.dumps(schema, ensure_ascii=False)} for name, schema in forms.items()
            ],
            called=called,
        )
        partners = [
            self._deploy_one(partner, stored, cache=False)[0] for _, partner in sorted(diagram.partners.items())
        ]
        result, created = self._deploy_one(diagram, stored)
        return dict(result, **({"partners": partners} if partners else {})), created

    def _deploy_one(self, diagram, stored, cache=True):
        """Store one process of the diagram; a partner is not cached as parsed here (``diagram``
        parses it with the partners it has as the process a case starts)."""
        key, findings = diagram.process_id, role_findings(diagram)
        for _ in range(5):
            existing = models.ProcessDefinition.objects(key=key, content_hash=stored["content_hash"]).first()
            if existing is not None:
                return dict(summary(existing), **findings), False
            latest = models.ProcessDefinition.objects(key=key).order_by("-version").only("version").first()
            definition = models.ProcessDefinition(
                key=key, version=(latest.version + 1) if latest else 1, name=diagram.name, **stored
            )
            try:
                definition.save(force_insert=True)
            except me.NotUniqueError:
                continue  # another replica deployed at the same moment: look again
            if cache:
                with self._lock:
                    self._parsed[(key, definition.version)] = diagram
            return dict(summary(definition), **findings), True
        raise InvalidInput(f"process {key} is being deployed concurrently, please retry")

    def _hold_message_starts(self, diagrams):
        """Hold every message start name of ``diagrams`` (a file's processes) for its process
        key, or refuse the deploy naming the message start event and the process that already
        starts with that name; nothing is held when one is refused."""
        held = {}
        for diagram in diagrams:
            for name, element_id in sorted(bpmn_engine.message_starts(diagram).items()):
                other = held.setdefault(name, diagram.process_id)
                holder = models.MessageStart.objects(name=name).only("key").first()
                if (
                    other == diagram.process_id
                    and holder is not None
                    and holder.key != other
                    and self.started_by(name) is not None
                ):
                    other = holder.key
                if other != diagram.process_id:
                    message = (
                        f"the message {name!r} already starts the process {other!r}: a message starts "
                        f"one process, so rename the message in one of them"
                    )
                    raise InvalidInput(f"invalid BPMN: {message}", [{"field": element_id, "message": message}])
        for name, key in held.items():
            models.MessageStart.objects(name=name).update_one(set__key=key, upsert=True)

    def started_by(self, name):
        """``(key, version, diagram)`` of the latest deployed version of the process whose message
        start event catches the message ``name``, from whichever file; None when there is none."""
        holder = models.MessageStart.objects(name=name).only("key").first()
        latest = (
            models.ProcessDefinition.objects(key=holder.key).order_by("-version").only("version").first()
            if holder is not None
            else None
        )
        if latest is None:
            return None
        diagram = self.diagram(holder.key, latest.version)
        return (holder.key, latest.version, diagram) if name in bpmn_engine.message_starts(diagram) else None

    def deployed_with(self, key, version, partner_key):
        """The version of ``partner_key`` deployed from the same content as ``key`` at
        ``version`` (its collaboration partner), else the partner's latest."""
        content_hash = models.ProcessDefinition.objects(key=key, version=version).only("content_hash").first()
        found = (
            models.ProcessDefinition.objects(key=partner_key, content_hash=content_hash.content_hash)
            .only("version")
            .first()
            if content_hash is not None
            else None
        )
        return found.version if found is not None else self.latest(partner_key)[0]

    @staticmethod
    def validate(xml, filename, dmn=(), forms=None):
        """Run the deployment's checks without storing anything: the parsed diagram, or
        InvalidInput naming the element."""
        return _checked(
            _bytes(xml),
            filename,
            tuple(_bytes(table) for table in dmn),
            {name: forms[name] for name in sorted(forms or {})},
            resolve_calls(_bytes(xml)),
        )

    def deploy_directory(self, directory, now):
        """Deploy every ``*.bpmn`` with the ``*.dmn`` tables and ``*.json`` form schemas of the
        directory it uses."""
        tables = {path.name: path.read_bytes() for path in sorted(Path(directory).glob("*.dmn"))}
        for path in sorted(Path(directory).glob("*.bpmn")):
            xml = path.read_bytes()
            forms = {
                name: json.loads((Path(directory) / name).read_text(encoding="utf-8"))
                for name in used_forms(xml)
                if (Path(directory) / name).is_file()
            }
            result, created = self.deploy(xml, path.name, now, used_tables(xml, tables.values()), forms)
            log.info(
                "process %s version %s %s",
                result["key"],
                result["version"],
                "deployed" if created else "already deployed",
            )

    def latest(self, key):
        definition = models.ProcessDefinition.objects(key=key).order_by("-version").only("version").first()
        if definition is None:
            raise NotFound(f"process {key!r} is not deployed")
        return definition.version, self.diagram(key, definition.version)

    def diagram(self, key, version):
        """The parsed diagram of one version, parsed once per process."""
        cached = self._parsed.get((key, version))
        if cached is not None:
            return cached
        definition = models.ProcessDefinition.objects(key=key, version=version).first()
        if definition is None:
            raise NotFound(f"process {key!r} has no version {version}")
        own_forms = _forms(definition)
        called_xml, called_dmn, called_forms = _called_parts(definition.called, own_forms)
        diagram = bpmn_engine.parse_diagram(
            definition.xml.encode("utf-8"),
            definition.filename,
            tuple(table.encode("utf-8") for table in (*definition.dmn, *called_dmn)),
            {**called_forms, **own_forms},
            called_xml,
            process_id=key,
        )
        with self._lock:
            self._parsed[(key, version)] = diagram
        return diagram

    def roles(self, key):
        """The roles every version of the process names, its role mapping and what is left
        unmapped (the deploy's findings; ``roles.py``)."""
        versions = [d.version for d in models.ProcessDefinition.objects(key=key).only("version")]
        if not versions:
            raise NotFound(f"process {key!r} is not deployed")
        named = sorted({role for version in versions for role in bpmn_engine.diagram_roles(self.diagram(key, version))})
        return dict(
            roles.mapping_view(key),
            diagram_roles=named,
            hall_roles=list(STAFF_ROLES),
            unmapped_roles=roles.unmapped(named, roles.mapping_of(key)),
            history=roles.history(key),
        )

    def versions(self, key):
        """Every deployed version of one process, oldest first, each with the number of its
        instances not completed (in progress or in an incident)."""
        found = models.ProcessDefinition.objects(key=key).only(
            "key", "version", "name", "deployed_at", "content_hash", "filename"
        )
        if not found:
            raise NotFound(f"process {key!r} is not deployed")
        return [
            dict(
                summary(d),
                running_instances=count_of(
                    models.ProcessInstance.objects(process_key=key, process_version=d.version, status__ne="completed")
                ),
            )
            for d in sorted(found, key=lambda d: d.version)
        ]

    def xml(self, key, version):
        definition = models.ProcessDefinition.objects(key=key, version=version).only("xml").first()
        if definition is None:
            raise NotFound(f"process {key!r} has no version {version}")
        return definition.xml

    def list(self):
        latest = {}
        for d in models.ProcessDefinition.objects.only(
            "key", "version", "name", "deployed_at", "content_hash", "filename"
        ):
            if d.key not in latest or d.version > latest[d.key].version:
                latest[d.key] = d
        return [summary(d) for d in sorted(latest.values(), key=lambda d: d.key)]


def _checked(xml, filename, dmn, forms, called):
    """The deployment's checks: the parsed diagram, with the deployed versions it calls, or
    InvalidInput naming the element. Every expression is checked here, at deployment only: a
    version deployed before the sandbox's rules changed still loads (see `diagram`)."""
    called_xml, called_dmn, called_forms = _called_parts(called, forms)
    try:
        diagram = bpmn_engine.parse_diagram(
            xml,
            filename,
            (*dmn, *(table.encode("utf-8") for table in called_dmn)),
            {**called_forms, **forms},
            called_xml,
        )
        expression_check.check_expressions(xml, tuple(dmn))
        return diagram
    except bpmn_engine.InvalidDiagram as exc:
        raise InvalidInput(
            f"invalid BPMN: {exc.message}", [{"field": exc.element_id or "diagram", "message": exc.message}]
        ) from None


def _called_parts(called, forms):
    """The XML, decision tables and form schemas of the deployed versions in ``called`` and of
    those they call in turn. One process runs at one version in a workflow, and a form file
    name means one schema (``forms``: the caller's own)."""
    versions, xml, dmn, schemas = {}, [], [], {}
    pending = list(called)
    while pending:
        ref = pending.pop(0)
        if ref["key"] in versions:
            if versions[ref["key"]] != ref["version"]:
                raise InvalidInput(
                    f"invalid BPMN: process {ref['key']!r} would be called at versions "
                    f"{versions[ref['key']]} and {ref['version']}: deploy its callers again"
                )
            continue
        definition = models.ProcessDefinition.objects(key=ref["key"], version=ref["version"]).first()
        versions[ref["key"]] = ref["version"]
        xml.append(definition.xml.encode("utf-8"))
        dmn.extend(table for table in definition.dmn if table not in dmn)
        for name, schema in _forms(definition).items():
            if {**forms, **schemas}.get(name, schema) != schema:
                raise InvalidInput(
                    f"invalid BPMN: the form file {name!r} differs from the one process "
                    f"{ref['key']!r} version {ref['version']} uses: rename one of them"
                )
            schemas[name] = schema
        pending.extend(definition.called)
    return tuple(xml), dmn, schemas


def _forms(definition):
    return {form["filename"]: json.loads(form["schema"]) for form in definition.forms}


_CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def resolve_calls(xml):
    """The deployed version each call activity calls when its process is not in the diagram
    itself, ``[{"key", "version"}]``: the pinned one (Camunda's
    ``camunda:calledElementBinding="version"`` with ``camunda:calledElementVersion``, or
    spiff-arena's property ``calledElementVersion``), else the latest now. A key or pinned
    version that is not deployed is refused naming the call activity."""
    try:
        root = etree.fromstring(xml, _XML_PARSER)
    except etree.XMLSyntaxError:
        return []  # the engine's parse refuses it, saying where
    local = set(root.xpath("//*[local-name()='process']/@id"))
    resolved = []
    for node in root.xpath("//*[local-name()='callActivity'][@calledElement]"):
        key = node.get("calledElement")
        if key in local:
            continue
        pinned = _pinned_version(node)
        found = models.ProcessDefinition.objects(key=key).only("version")
        found = found.filter(version=pinned).first() if pinned else found.order_by("-version").first()
        if found is None:
            what = f"version {pinned} of the process" if pinned else "the process"
            _refuse(node, f"calls {what} {key!r}, which is not deployed: deploy it first")
        if {"key": key, "version": found.version} not in resolved:
            resolved.append({"key": key, "version": found.version})
    return resolved


def _pinned_version(node):
    """The version a call activity pins, or None for the latest."""
    binding = node.get(_CAMUNDA + "calledElementBinding", "latest")
    if binding not in ("latest", "version"):
        _refuse(
            node,
            f"camunda:calledElementBinding {binding!r} is not supported: 'latest', or 'version' "
            "with camunda:calledElementVersion",
        )
    spiff = node.xpath(
        "./*[local-name()='extensionElements']/*[local-name()='properties']"
        "/*[local-name()='property'][@name='calledElementVersion']/@value"
    )
    text = node.get(_CAMUNDA + "calledElementVersion") if binding == "version" else next(iter(spiff), None)
    if binding == "latest" and text is None:
        return None
    if not (text or "").strip().isdigit() or int(text) < 1:
        _refuse(node, f"the called version {text!r} is not a version number (1, 2, …)")
    return int(text)


def _refuse(node, message):
    raise InvalidInput(f"invalid BPMN: {message}", [{"field": node.get("id"), "message": message}])


def _bytes(text):
    return text.encode("utf-8") if isinstance(text, str) else text


def used_tables(bpmn_xml, tables):
    """The DMN tables (XML) that define a decision the diagram's business-rule tasks call,
    by Camunda's `decisionRef` or spiff-arena's `calledDecisionId`."""
    root = etree.fromstring(bpmn_xml, etree.XMLParser(resolve_entities=False, no_network=True))
    wanted = set(root.xpath("//@*[local-name()='decisionRef']")) | {
        (text or "").strip() for text in root.xpath("//*[local-name()='calledDecisionId']/text()")
    }
    used = []
    for table in tables:
        decisions = etree.fromstring(table, etree.XMLParser(resolve_entities=False, no_network=True)).xpath(
            "//*[local-name()='decision']/@id"
        )
        if wanted & set(decisions):
            used.append(table)
    return used


def used_forms(bpmn_xml):
    """The form JSON schema files a spiff-arena diagram's user tasks name."""
    root = etree.fromstring(bpmn_xml, etree.XMLParser(resolve_entities=False, no_network=True))
    return sorted(set(root.xpath("//*[local-name()='property'][@name='formJsonSchemaFilename']/@value")))


def role_findings(diagram):
    """What the deploy answers about the roles a diagram names: all of them, and those neither
    the hall's nor mapped for its key yet (it starts once they are)."""
    named = bpmn_engine.diagram_roles(diagram)
    return {"roles": named, "unmapped_roles": roles.unmapped(named, roles.mapping_of(diagram.process_id))}


def summary(definition):
    return {
        "key": definition.key,
        "version": definition.version,
        "name": definition.name,
        "filename": definition.filename,
        "content_hash": definition.content_hash,
        "deployed_at": definition.deployed_at.isoformat(),
    }
