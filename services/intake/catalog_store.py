"""The managed catalog: items are created, edited, published on a date and retired through
the API; every change is a new immutable version and an audit entry (who, when, what).

- An edit makes the next version of the item; it serves no one until it is published.
- A publication names a version and the day (hall calendar, Asia/Shanghai) it applies
  from, today or later; the version in force on a day is the publication of that day or
  the latest before it (on one day, the one published last).
- A retired item accepts no new applications from its retirement day on; its cases go on.
- A case keeps the version it was submitted under (``Case.item_version``): later versions
  never change its limits, fees or materials.
- ``catalog/*.yaml`` seeds an empty store: each item becomes version 1, in force from the
  seeding on (``effective_from`` null), items marked ``active: false`` retired.

Who may change what: admins everything; process designers only the process binding
(``process_key`` and ``process_version``, the version policy).
"""

from datetime import date

import mongoengine as me
from pymongo.errors import BulkWriteError

from services.common.db import collection_of
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.time import isoformat
from services.common.workdays import shanghai_day
from services.intake import models
from services.intake.catalog import Catalog, CatalogError, Department, item_fields, validate_item

BINDING_FIELDS = ("process_key", "process_version")
DUPLICATE_KEY = 11000  # MongoDB's error code for a unique index violation
SEEDER = "catalog/*.yaml"


def version_in_force(publications, day):
    """The publication in force on ``day`` (``YYYY-MM-DD``), or None."""
    due = [p for p in publications if p["effective_from"] is None or p["effective_from"] <= day]
    return max(due, key=lambda p: (p["effective_from"] or "", p["published_at"]), default=None)


def standing(publications, retired_from, day):
    """``retired``, ``in_force``, ``scheduled`` (published for a later day) or ``draft``."""
    if retired_from and retired_from <= day:
        return "retired"
    if version_in_force(publications, day):
        return "in_force"
    return "scheduled" if publications else "draft"


def check_may_change(roles, changed):
    """Admins change anything; designers only the process binding."""
    if "admin" in roles:
        return
    others = sorted(set(changed) - set(BINDING_FIELDS))
    if "designer" not in roles or others:
        raise Forbidden(
            "only an admin changes an item's "
            + (", ".join(others) or "content")
            + "; a process designer changes its process binding only",
            [{"field": name, "message": "admin only"} for name in others],
        )


def check_binding(fields, deployed_versions):
    """The process an item binds to is deployed, and so is the version it pins;
    ``deployed_versions(key)`` lists a process's deployed versions (None: not deployed)."""
    key, pinned = fields.get("process_key"), fields.get("process_version")
    if not isinstance(key, str) or not key:
        return  # the item's own validation names the field
    deployed = deployed_versions(key)
    if deployed is None:
        raise InvalidInput(f"process {key!r} is not deployed", [{"field": "process_key", "message": "not deployed"}])
    if isinstance(pinned, int) and pinned not in deployed:
        raise InvalidInput(
            f"process {key!r} has no version {pinned} (deployed: {deployed})",
            [{"field": "process_version", "message": f"one of {deployed}"}],
        )


def require_admin(actor, doing):
    if "admin" not in actor.get("roles", ()):
        raise Forbidden(f"only an admin may {doing} an item")


def differences(before, after):
    """``{field: {"from", "to"}}`` for every field whose value changed."""
    return {
        name: {"from": before.get(name), "to": after.get(name)}
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def effective_day(value, today, field="effective_from"):
    """A publication's or retirement's day: ``YYYY-MM-DD``, not before ``today``."""
    try:
        day = date.fromisoformat(value).isoformat() if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidInput(f"{field} must be a date YYYY-MM-DD", [{"field": field, "message": "YYYY-MM-DD"}])
    if day < today:
        raise InvalidInput(
            f"{field} {day} is in the past (today is {today} in the hall)",
            [{"field": field, "message": f"today ({today}) or later"}],
        )
    return day


def validated(fields, department):
    """``validate_item`` with its fault as a field-level InvalidInput (422)."""
    try:
        return validate_item(fields, department)
    except CatalogError as exc:
        raise InvalidInput(str(exc), [{"field": exc.field or "item", "message": str(exc)}]) from None


def public_view(item, version, in_force=True, retired_from=None):
    """An item as the API shows it: ``in_force`` says this version serves new applications
    today, ``active`` that the item accepts any."""
    return dict(
        item.as_dict(),
        version=version,
        in_force=in_force,
        active=retired_from is None or in_force,
        retired_from=retired_from,
    )


class ItemStore:
    """The catalog in the intake service's store. Versions are immutable, so each replica
    keeps those it has read; where an item stands is read from the store every time."""

    def __init__(self):
        self._versions = {}

    # --- reading ---------------------------------------------------------------------------

    def version(self, code, version):
        """The item ``code`` as version ``version`` says."""
        item = self._versions.get((code, version))
        if item is None:
            stored = models.ItemVersion.objects(key=f"{code}:{version}").first()
            if stored is None:
                raise NotFound(f"item {code!r} has no version {version}")
            entry = models.CatalogItem.objects(code=code).only("department").first()
            item = self._versions[(code, version)] = validate_item(stored.fields, entry.department)
        return item

    def _entry(self, code):
        entry = models.CatalogItem.objects(code=code).first()
        if entry is None:
            raise NotFound(f"item {code!r} is not in the catalog")
        return entry

    def applicable(self, code, now):
        """``(version, item)`` an application for ``code`` is submitted under today; a retired
        item, or one published for a later day only, refuses with the reason (422)."""
        entry = models.CatalogItem.objects(code=code).first()
        if entry is None:
            raise NotFound(f"item {code!r} is not in the catalog")
        today = shanghai_day(now).isoformat()
        state = standing(entry.publications, entry.retired_from, today)
        if state == "retired":
            raise InvalidInput(
                f"item {code} was retired on {entry.retired_from}: it accepts no new applications",
                [{"field": "item_code", "message": f"retired on {entry.retired_from}"}],
            )
        if state == "scheduled":
            first = min(p["effective_from"] for p in entry.publications)
            raise InvalidInput(
                f"item {code} applies from {first}: it accepts applications from that day on",
                [{"field": "item_code", "message": f"applies from {first}"}],
            )
        if state == "draft":
            raise NotFound(f"item {code!r} is not in the catalog")
        version = version_in_force(entry.publications, today)["version"]
        return version, self.version(code, version)

    def published(self, now):
        """The public catalog today: items in force, not retired, by code."""
        today = shanghai_day(now).isoformat()
        departments = {
            d.code: Department(d.code, d.name_zh, d.name_en)
            for d in models.CatalogDepartment.objects.order_by("position")
        }
        items, versions = {}, {}
        for entry in models.CatalogItem.objects.order_by("code"):
            if standing(entry.publications, entry.retired_from, today) == "in_force":
                versions[entry.code] = version_in_force(entry.publications, today)["version"]
                items[entry.code] = self.version(entry.code, versions[entry.code])
        return Catalog(departments, items, versions)

    def public_item(self, code, now, version=None):
        """An item as the public sees it today (a retired one says so), or one version of it."""
        entry = self._entry(code)
        today = shanghai_day(now).isoformat()
        publication = version_in_force(entry.publications, today)
        if version is None:
            if publication is None:
                raise NotFound(f"item {code!r} is not in the catalog")
            version = publication["version"]
        state = standing(entry.publications, entry.retired_from, today)
        return public_view(
            self.version(code, version),
            version,
            in_force=state == "in_force" and publication["version"] == version,
            retired_from=entry.retired_from,
        )

    def managed_list(self, now):
        today = shanghai_day(now).isoformat()
        return [self._managed_view(entry, today) for entry in models.CatalogItem.objects.order_by("code")]

    def managed(self, code, now):
        return self._managed_view(self._entry(code), shanghai_day(now).isoformat())

    def _managed_view(self, entry, today):
        publication = version_in_force(entry.publications, today)
        latest = self.version(entry.code, entry.latest_version)
        return {
            "code": entry.code,
            "department": entry.department,
            "name_zh": latest.name_zh,
            "name_en": latest.name_en,
            "status": standing(entry.publications, entry.retired_from, today),
            "latest_version": entry.latest_version,
            "version_in_force": publication["version"] if publication else None,
            "publications": [dict(p) for p in entry.publications],
            "retired_from": entry.retired_from,
            "updated_at": isoformat(entry.updated_at),
            "item": latest.as_dict(),
        }

    def versions(self, code):
        self._entry(code)
        entry = models.CatalogItem.objects(code=code).only("publications").first()
        published = {}
        for p in entry.publications:
            published.setdefault(p["version"], []).append(p["effective_from"])
        return [
            {
                "version": v.version,
                "created_at": isoformat(v.created_at),
                "created_by": v.created_by,
                "changed": list(v.changed),
                "published_for": published.get(v.version, []),
                "item": self.version(code, v.version).as_dict(),
            }
            for v in models.ItemVersion.objects(code=code).order_by("version")
        ]

    def audit(self, code):
        self._entry(code)
        return [
            {"at": isoformat(c.at), "actor": c.actor, "action": c.action, "version": c.version, "changes": c.changes}
            for c in models.CatalogChange.objects(code=code).order_by("at")
        ]

    def departments(self):
        return {d.code for d in models.CatalogDepartment.objects.only("code")}

    # --- changing --------------------------------------------------------------------------

    def create(self, fields, department, actor, now):
        """A new item, version 1, a draft until published."""
        require_admin(actor, "create")
        if department not in self.departments():
            raise InvalidInput(
                f"department {department!r} publishes no catalog",
                [{"field": "department", "message": "not a department of the hall"}],
            )
        item = validated(fields, department)
        stored = item_fields(item)
        entry = models.CatalogItem(
            code=item.code, department=department, latest_version=1, publications=[], created_at=now, updated_at=now
        )
        try:
            entry.save(force_insert=True)
        except me.NotUniqueError:
            raise Conflict(f"item {item.code} already exists", [{"field": "code", "message": "already used"}]) from None
        self._store_version(item.code, 1, stored, sorted(stored), actor, now)
        _audit(item.code, "created", 1, actor, now, differences({}, stored))
        return self.managed(item.code, now)

    def edit(self, code, changes, actor, now):
        """The next version: the latest with ``changes`` (whole fields) applied. An edit that
        changes nothing makes no version. Returns ``(view, created)``."""
        entry = self._entry(code)
        if "code" in changes and changes["code"] != code:
            raise InvalidInput("an item's code cannot change", [{"field": "code", "message": "cannot change"}])
        before = item_fields(self.version(code, entry.latest_version))
        after = {name: value for name, value in {**before, **changes}.items() if value is not None}
        item = validated(after, entry.department)
        stored = item_fields(item)
        changed = differences(before, stored)
        check_may_change(actor.get("roles", ()), changed)
        if not changed:
            return self.managed(code, now), False
        version = entry.latest_version + 1
        try:
            self._store_version(code, version, stored, sorted(changed), actor, now)
        except me.NotUniqueError:
            raise Conflict(f"item {code} was changed at the same moment, please retry") from None
        models.CatalogItem.objects(code=code).update_one(set__latest_version=version, set__updated_at=now, inc__rev=1)
        _audit(code, "edited", version, actor, now, changed)
        return self.managed(code, now), True

    def publish(self, code, version, effective_from, actor, now):
        """Put ``version`` (default: the latest) in force from ``effective_from`` on."""
        require_admin(actor, "publish")
        entry = self._entry(code)
        today = shanghai_day(now).isoformat()
        day = effective_day(effective_from, today)
        version = entry.latest_version if version is None else version
        if not 1 <= version <= entry.latest_version:
            raise InvalidInput(
                f"item {code} has no version {version}",
                [{"field": "version", "message": f"1 to {entry.latest_version}"}],
            )
        if entry.retired_from:
            raise Conflict(f"item {code} is retired from {entry.retired_from}: it is published no more")
        if any(p["version"] == version and p["effective_from"] == day for p in entry.publications):
            raise Conflict(f"version {version} of item {code} is already published for {day}")
        publication = {
            "version": version,
            "effective_from": day,
            "published_at": isoformat(now),
            "by": actor["username"],
        }
        self._change(entry, now, set__publications=[*entry.publications, publication])
        _audit(code, "published", version, actor, now, {"effective_from": {"from": None, "to": day}})
        return self.managed(code, now)

    def retire(self, code, effective_from, reason, actor, now):
        """No new applications from ``effective_from`` (default today) on."""
        require_admin(actor, "retire")
        entry = self._entry(code)
        today = shanghai_day(now).isoformat()
        day = today if effective_from is None else effective_day(effective_from, today)
        if entry.retired_from:
            raise Conflict(f"item {code} is already retired from {entry.retired_from}")
        self._change(entry, now, set__retired_from=day)
        _audit(
            code,
            "retired",
            None,
            actor,
            now,
            {"retired_from": {"from": None, "to": day}, "reason": {"from": None, "to": reason}},
        )
        return self.managed(code, now)

    @staticmethod
    def _change(entry, now, **update):
        if not models.CatalogItem.objects(code=entry.code, rev=entry.rev).update_one(
            inc__rev=1, set__updated_at=now, **update
        ):
            raise Conflict(f"item {entry.code} was changed at the same moment, please retry")

    def _store_version(self, code, version, stored, changed, actor, now):
        models.ItemVersion(
            key=f"{code}:{version}",
            code=code,
            version=version,
            fields=stored,
            changed=changed,
            created_at=now,
            created_by=actor["username"],
        ).save(force_insert=True)

    # --- seeding ---------------------------------------------------------------------------

    def seed(self, seed, now):
        """Load the catalog files into an empty store, in a few bulk writes; replicas may race
        here (what one stored first is kept). Items are stored last: an item is there only
        with its version."""
        if models.CatalogItem.objects.first() is not None:
            return
        published = isoformat(now)
        retired_from = shanghai_day(now).isoformat()
        _insert_all(
            models.CatalogDepartment,
            [
                models.CatalogDepartment(code=d.code, name_zh=d.name_zh, name_en=d.name_en, position=position)
                for position, d in enumerate(seed.departments.values())
            ],
        )
        _insert_all(
            models.ItemVersion,
            [
                models.ItemVersion(
                    key=f"{item.code}:1",
                    code=item.code,
                    version=1,
                    fields=item_fields(item),
                    changed=sorted(item_fields(item)),
                    created_at=now,
                    created_by=SEEDER,
                )
                for item in seed.items.values()
            ],
        )
        _insert_all(
            models.CatalogChange,
            [
                models.CatalogChange(
                    code=item.code,
                    seed_key=item.code,
                    action="seeded",
                    version=1,
                    actor=SEEDER,
                    at=now,
                    changes={"retired_from": {"from": None, "to": retired_from}} if item.code in seed.retired else {},
                )
                for item in seed.items.values()
            ],
        )
        _insert_all(
            models.CatalogItem,
            [
                models.CatalogItem(
                    code=item.code,
                    department=item.department,
                    latest_version=1,
                    publications=[{"version": 1, "effective_from": None, "published_at": published, "by": SEEDER}],
                    retired_from=retired_from if item.code in seed.retired else None,
                    created_at=now,
                    updated_at=now,
                )
                for item in seed.items.values()
            ],
        )


def _insert_all(model, documents):
    """Insert ``documents``; those another replica stored first are left as they are."""
    try:
        collection_of(model).insert_many([d.to_mongo() for d in documents], ordered=False)
    except BulkWriteError as failed:
        if any(e["code"] != DUPLICATE_KEY for e in failed.details["writeErrors"]):
            raise


def _audit(code, action, version, actor, now, changes):
    models.CatalogChange(
        code=code, action=action, version=version, actor=actor["username"], at=now, changes=changes
    ).save()
