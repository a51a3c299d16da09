"""Deployed process versions: validation on deploy, version numbering, and a cache of
parsed diagrams so that an instance is restored against its own version's spec."""
import hashlib
import logging
import threading
from pathlib import Path

import mongoengine as me

from services.approval import bpmn_engine, models
from services.common.errors import InvalidInput, NotFound

log = logging.getLogger(__name__)


class DefinitionRegistry:
    def __init__(self):
        self._parsed = {}
        self._lock = threading.Lock()

    def deploy(self, xml, filename, now):
        """Store ``xml`` as the next version of its process unless that content is already
        deployed. Returns ``(summary, created)``; a bad diagram raises InvalidInput."""
        if isinstance(xml, str):
            xml = xml.encode("utf-8")
        try:
            diagram = bpmn_engine.parse_diagram(xml, filename)
        except bpmn_engine.InvalidDiagram as exc:
            raise InvalidInput(f"invalid BPMN: {exc.message}",
                               [{"field": exc.element_id or "diagram", "message": exc.message}]) from None
        content_hash = hashlib.sha256(xml).hexdigest()
        key = diagram.process_id
        for _ in range(5):
            existing = models.ProcessDefinition.objects(key=key, content_hash=content_hash).first()
            if existing is not None:
                return summary(existing), False
            latest = models.ProcessDefinition.objects(key=key).order_by("-version").only("version").first()
            definition = models.ProcessDefinition(
                key=key, version=(latest.version + 1) if latest else 1, content_hash=content_hash,
                name=diagram.name, filename=filename, xml=xml.decode("utf-8"), deployed_at=now,
            )
            try:
                definition.save(force_insert=True)
            except me.NotUniqueError:
                continue  # another replica deployed at the same moment: look again
            with self._lock:
                self._parsed[(key, definition.version)] = diagram
            return summary(definition), True
        raise InvalidInput(f"process {key} is being deployed concurrently, please retry")

    def deploy_directory(self, directory, now):
        for path in sorted(Path(directory).glob("*.bpmn")):
            result, created = self.deploy(path.read_bytes(), path.name, now)
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
        diagram = bpmn_engine.parse_diagram(definition.xml.encode("utf-8"), definition.filename)
        with self._lock:
            self._parsed[(key, version)] = diagram
        return diagram

    def list(self):
        latest = {}
        for d in models.ProcessDefinition.objects.only("key", "version", "name", "deployed_at", "content_hash",
                                                      "filename"):
            if d.key not in latest or d.version > latest[d.key].version:
                latest[d.key] = d
        return [summary(d) for d in sorted(latest.values(), key=lambda d: d.key)]


def summary(definition):
    return {"key": definition.key, "version": definition.version, "name": definition.name,
            "filename": definition.filename, "content_hash": definition.content_hash,
            "deployed_at": definition.deployed_at.isoformat()}
