"""Deployed process versions: validation on deploy, version numbering, and a cache of
parsed diagrams so that an instance is restored against its own version's spec."""
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
        that content is already deployed. Returns ``(summary, created)``; a bad diagram raises
        InvalidInput naming the element."""
        xml = _bytes(xml)
        dmn = [_bytes(table) for table in dmn]
        forms = {name: forms[name] for name in sorted(forms or {})}
        diagram = self.validate(xml, filename, dmn, forms)
        findings = role_findings(diagram)
        content = hashlib.sha256(xml)
        for table in dmn:
            content.update(hashlib.sha256(table).digest())
        if forms:
            content.update(hashlib.sha256(json.dumps(forms, sort_keys=True).encode("utf-8")).digest())
        content_hash = content.hexdigest()
        key = diagram.process_id
        for _ in range(5):
            existing = models.ProcessDefinition.objects(key=key, content_hash=content_hash).first()
            if existing is not None:
                return dict(summary(existing), **findings), False
            latest = models.ProcessDefinition.objects(key=key).order_by("-version").only("version").first()
            definition = models.ProcessDefinition(
                key=key, version=(latest.version + 1) if latest else 1, content_hash=content_hash,
                name=diagram.name, filename=filename, xml=xml.decode("utf-8"),
                dmn=[table.decode("utf-8") for table in dmn], deployed_at=now,
                forms=[{"filename": name, "schema": json.dumps(schema, ensure_ascii=False)}
                       for name, schema in forms.items()],
            )
            try:
                definition.save(force_insert=True)
            except me.NotUniqueError:
                continue  # another replica deployed at the same moment: look again
            with self._lock:
                self._parsed[(key, definition.version)] = diagram
            return dict(summary(definition), **findings), True
        raise InvalidInput(f"process {key} is being deployed concurrently, please retry")

    @staticmethod
    def validate(xml, filename, dmn=(), forms=None):
        """Run the deployment's checks without storing anything: the parsed diagram, or
        InvalidInput naming the element. Every expression is checked here, at deployment only:
        a version deployed before the sandbox's rules changed still loads (see `diagram`)."""
        tables = tuple(_bytes(table) for table in dmn)
        try:
            diagram = bpmn_engine.parse_diagram(_bytes(xml), filename, tables,
                                                {name: forms[name] for name in sorted(forms or {})})
            expression_check.check_expressions(_bytes(xml), tables)
            return diagram
        except bpmn_engine.InvalidDiagram as exc:
            raise InvalidInput(f"invalid BPMN: {exc.message}",
                               [{"field": exc.element_id or "diagram", "message": exc.message}]) from None

    def deploy_directory(self, directory, now):
        """Deploy every ``*.bpmn`` with the ``*.dmn`` tables and ``*.json`` form schemas of the
        directory it uses."""
        tables = {path.name: path.read_bytes() for path in sorted(Path(directory).glob("*.dmn"))}
        for path in sorted(Path(directory).glob("*.bpmn")):
            xml = path.read_bytes()
            forms = {name: json.loads((Path(directory) / name).read_text(encoding="utf-8"))
                     for name in used_forms(xml) if (Path(directory) / name).is_file()}
            result, created = self.deploy(xml, path.name, now, used_tables(xml, tables.values()), forms)
            log.info("process %s version %s %s", result["key"], result["version"],
                     "deployed" if created else "already deployed")

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
        diagram = bpmn_engine.parse_diagram(definition.xml.encode("utf-8"), definition.filename,
                                            tuple(table.encode("utf-8") for table in definition.dmn),
                                            {form["filename"]: json.loads(form["schema"]) for form in definition.forms})
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
        return dict(roles.mapping_view(key), diagram_roles=named, hall_roles=list(STAFF_ROLES),
                    unmapped_roles=roles.unmapped(named, roles.mapping_of(key)), history=roles.history(key))

    def versions(self, key):
        """Every deployed version of one process, oldest first, each with the number of its
        instances not completed (in progress or in an incident)."""
        found = models.ProcessDefinition.objects(key=key).only(
            "key", "version", "name", "deployed_at", "content_hash", "filename")
        if not found:
            raise NotFound(f"process {key!r} is not deployed")
        return [dict(summary(d), running_instances=count_of(models.ProcessInstance.objects(
                    process_key=key, process_version=d.version, status__ne="completed")))
                for d in sorted(found, key=lambda d: d.version)]

    def xml(self, key, version):
        definition = models.ProcessDefinition.objects(key=key, version=version).only("xml").first()
        if definition is None:
            raise NotFound(f"process {key!r} has no version {version}")
        return definition.xml

    def list(self):
        latest = {}
        for d in models.ProcessDefinition.objects.only("key", "version", "name", "deployed_at", "content_hash",
                                                      "filename"):
            if d.key not in latest or d.version > latest[d.key].version:
                latest[d.key] = d
        return [summary(d) for d in sorted(latest.values(), key=lambda d: d.key)]


def _bytes(text):
    return text.encode("utf-8") if isinstance(text, str) else text


def used_tables(bpmn_xml, tables):
    """The DMN tables (XML) that define a decision the diagram's business-rule tasks call,
    by Camunda's `decisionRef` or spiff-arena's `calledDecisionId`."""
    root = etree.fromstring(bpmn_xml, etree.XMLParser(resolve_entities=False, no_network=True))
    wanted = set(root.xpath("//@*[local-name()='decisionRef']")) | {
        (text or "").strip() for text in root.xpath("//*[local-name()='calledDecisionId']/text()")}
    used = []
    for table in tables:
        decisions = etree.fromstring(table, etree.XMLParser(resolve_entities=False, no_network=True)).xpath(
            "//*[local-name()='decision']/@id")
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
    return {"key": definition.key, "version": definition.version, "name": definition.name,
            "filename": definition.filename, "content_hash": definition.content_hash,
            "deployed_at": definition.deployed_at.isoformat()}
