"""The public catalog (权力清单): what an item is and the rules every version of it must
keep. Items are managed through the API (``catalog_store.py``: versions, publication,
retirement, audit); the repository's ``catalog/*.yaml`` (one file per department) is the
seed loaded into an empty store, validated here so that bad seed data stops the service
with a message naming the file, the item and the field.

The schema holds what provincial platforms publish for an item: limits in working days,
visits, acceptance conditions, the materials checklist, fees in integer fen (a free item
has none), the legal basis, the BPMN process that handles it and the special procedures
(特别程序: expert review, hearing) whose time does not count against its limit. An item may define its
application form (fields with a type, required flag, options and maximum length); intake
then checks every application's answers against it.

``on_the_spot: true`` (当场办结, default false) declares an item that the department's chief
representative may accept and decide in one sitting at their window (首席代表制); the flow
offers its acceptance to that chief too. An immediate or a promised item may say so: a
promised item accepted by the chief is decided by them at once, without a separate review
(accepted at the intake window it keeps review and decision by different people). A joint
item, decided by several departments, may not.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from services.common.deadlines import SPECIAL_PROCEDURES

KINDS = ("immediate", "promised", "joint")
MATERIAL_FORMS = ("paper", "electronic")
ITEM_CODE = re.compile(r"^[A-Z]{2,4}-[0-9]{3}$")
MATERIAL_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
DEPARTMENT_CODE = re.compile(r"^[a-z][a-z_]{1,47}$")
FIELD_TYPES = ("string", "long", "boolean", "enum", "date")
MAX_FIELD_LENGTH = 2000
ITEM_FIELDS = (
    "code",
    "name_zh",
    "name_en",
    "kind",
    "legal_limit_days",
    "promised_limit_days",
    "visits",
    "process_key",
    "process_version",
    "legal_basis",
    "materials",
    "conditions",
    "fees",
    "on_the_spot",
    "form",
    "special_procedures",
)


class CatalogError(ValueError):
    """A rule of the catalog broken; ``field`` names the item's field (``materials.0.code``)."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Material:
    code: str
    name: str
    form: str
    required: bool


@dataclass(frozen=True)
class Fee:
    """One charge of an item, in integer fen, paid only at the bank window."""

    code: str
    name: str
    amount_fen: int
    basis: str


@dataclass(frozen=True)
class FormField:
    """One field of an item's application form; ``options`` only for ``enum``, ``max_length``
    only for ``string``; a ``long`` is an integer (money in fen), a ``date`` is ``YYYY-MM-DD``."""

    id: str
    label: str
    type: str
    required: bool
    options: tuple = ()
    max_length: int = None

    def as_dict(self):
        return {
            "id": self.id,
            "label": self.label,
            "type": self.type,
            "required": self.required,
            "options": list(self.options),
            "max_length": self.max_length,
        }


@dataclass(frozen=True)
class Item:
    code: str
    name_zh: str
    name_en: str
    department: str
    kind: str
    legal_limit_days: int
    promised_limit_days: int
    visits: int
    process_key: str
    legal_basis: str
    materials: tuple = field(default_factory=tuple)
    conditions: tuple = field(default_factory=tuple)
    fees: tuple = field(default_factory=tuple)
    process_version: int = None  # the version policy: None runs the latest deployed version, a number that one
    on_the_spot: bool = False
    form: tuple = None  # of FormField; None: the form is checked generically only
    special_procedures: tuple = ()  # 特别程序 whose time does not count (deadlines.SPECIAL_PROCEDURES)

    def as_dict(self):
        return {
            "code": self.code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "department": self.department,
            "kind": self.kind,
            "legal_limit_days": self.legal_limit_days,
            "promised_limit_days": self.promised_limit_days,
            "visits": self.visits,
            "process_key": self.process_key,
            "process_version": self.process_version,
            "legal_basis": self.legal_basis,
            "on_the_spot": self.on_the_spot,
            "materials": [vars(m) for m in self.materials],
            "conditions": list(self.conditions),
            "fees": [vars(f) for f in self.fees],
            "form": None if self.form is None else [f.as_dict() for f in self.form],
            "special_procedures": list(self.special_procedures),
        }

    def matches(self, words):
        """True when every word occurs in the Chinese or the English name (or the code)."""
        text = f"{self.code} {self.name_zh} {self.name_en}".casefold()
        return all(word in text for word in words)


@dataclass(frozen=True)
class Department:
    code: str
    name_zh: str
    name_en: str

    def as_dict(self, item_count=0):
        return {"code": self.code, "name_zh": self.name_zh, "name_en": self.name_en, "item_count": item_count}


class Catalog:
    """Items by code: read from the seed files, with the codes of those marked ``active: false``
    (``retired``); read from the store, those in force with their ``versions``."""

    def __init__(self, departments, items, versions=None, retired=frozenset()):
        self.departments = departments
        self.items = items
        self.versions = versions or {}
        self.retired = retired

    def item(self, code):
        return self.items.get(code)

    def search(self, query=None, department=None, kind=None):
        """Items whose names contain every word of ``query``, in catalog order."""
        words = (query or "").casefold().split()
        return [
            item
            for item in self.items.values()
            if (department is None or item.department == department)
            and (kind is None or item.kind == kind)
            and item.matches(words)
        ]

    def department_list(self):
        counts = {}
        for item in self.items.values():
            counts[item.department] = counts.get(item.department, 0) + 1
        return [d.as_dict(counts.get(code, 0)) for code, d in self.departments.items()]


def _require(mapping, key, kind, where):
    if key not in mapping:
        raise CatalogError(f"{where}: missing field {key!r}", key)
    value = mapping[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise CatalogError(f"{where}: field {key!r} must be {kind.__name__}, not {value!r}", key)
    if kind is str and not value.strip():
        raise CatalogError(f"{where}: field {key!r} must not be blank", key)
    return value


def _matching(mapping, key, pattern, where):
    value = _require(mapping, key, str, where)
    if not pattern.match(value):
        raise CatalogError(f"{where}: field {key!r} must match {pattern.pattern}, not {value!r}", key)
    return value


def _count(mapping, key, where):
    value = _require(mapping, key, int, where)
    if value < 0:
        raise CatalogError(f"{where}: field {key!r} must not be negative, not {value!r}", key)
    return value


def _process_version(raw, where):
    """The version policy: absent or null runs the latest version, a number pins that one."""
    if raw.get("process_version") is None:
        return None
    version = _require(raw, "process_version", int, where)
    if version < 1:
        raise CatalogError(
            f"{where}: field 'process_version' must be a version from 1, not {version!r}", "process_version"
        )
    return version


def _each(raw, key, parse, what, where):
    """Parse the list ``raw[key]`` entry by entry; a fault names ``key.<index>.<field>``."""
    parsed = []
    for index, entry in enumerate(raw.get(key, [])):
        try:
            parsed.append(parse(entry, f"{where} {what} {index + 1}"))
        except CatalogError as exc:
            raise CatalogError(str(exc), f"{key}.{index}" + (f".{exc.field}" if exc.field else "")) from None
    return parsed


def _mapping(raw, what, where):
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: a {what} must be a mapping")
    return raw


def _material(raw, where):
    raw = _mapping(raw, "material", where)
    form = _require(raw, "form", str, where)
    if form not in MATERIAL_FORMS:
        raise CatalogError(f"{where}: field 'form' must be one of {MATERIAL_FORMS}, not {form!r}", "form")
    return Material(
        _matching(raw, "code", MATERIAL_CODE, where),
        _require(raw, "name", str, where),
        form,
        _require(raw, "required", bool, where),
    )


def _fee(raw, where):
    raw = _mapping(raw, "fee", where)
    amount = _require(raw, "amount_fen", int, where)
    if amount <= 0:
        raise CatalogError(
            f"{where}: field 'amount_fen' must be a positive number of fen, not {amount!r}", "amount_fen"
        )
    return Fee(
        _matching(raw, "code", MATERIAL_CODE, where),
        _require(raw, "name", str, where),
        amount,
        _require(raw, "basis", str, where),
    )


def _form_field(raw, where):
    raw = _mapping(raw, "form field", where)
    where = f"{where} ({raw.get('id', '?')})"
    unknown = set(raw) - {"id", "label", "type", "required", "options", "max_length"}
    if unknown:
        raise CatalogError(f"{where}: unknown field {sorted(unknown)[0]!r}", sorted(unknown)[0])
    kind = _require(raw, "type", str, where)
    if kind not in FIELD_TYPES:
        raise CatalogError(f"{where}: field 'type' must be one of {FIELD_TYPES}, not {kind!r}", "type")
    options = ()
    if kind == "enum":
        options = _require(raw, "options", list, where)
        if (
            not options
            or not all(isinstance(o, str) and o.strip() for o in options)
            or len(set(options)) < len(options)
        ):
            raise CatalogError(f"{where}: field 'options' must list distinct non-blank strings", "options")
    elif "options" in raw:
        raise CatalogError(f"{where}: field 'options' is only for type 'enum'", "options")
    max_length = None
    if "max_length" in raw:
        if kind != "string":
            raise CatalogError(f"{where}: field 'max_length' is only for type 'string'", "max_length")
        max_length = _require(raw, "max_length", int, where)
        if not 1 <= max_length <= MAX_FIELD_LENGTH:
            raise CatalogError(
                f"{where}: field 'max_length' must be 1 to {MAX_FIELD_LENGTH}, not {max_length!r}", "max_length"
            )
    return FormField(
        _matching(raw, "id", MATERIAL_CODE, where),
        _require(raw, "label", str, where),
        kind,
        _require(raw, "required", bool, where),
        tuple(options),
        max_length,
    )


def _form(raw, where):
    if raw.get("form") is None:
        return None
    if not _require(raw, "form", list, where):
        raise CatalogError(f"{where}: field 'form' must define at least one field", "form")
    return _unique_codes(_each(raw, "form", _form_field, "form field", where), "form field", where, "form", key="id")


def _unique_codes(entries, what, where, field, key="code"):
    """``entries`` (of the list ``field``) with no ``key`` used twice."""
    seen = set()
    for index, entry in enumerate(entries):
        code = getattr(entry, key)
        if code in seen:
            raise CatalogError(f"{where}: {what} {key} {code!r} is used twice", f"{field}.{index}.{key}")
        seen.add(code)
    return tuple(entries)


def _conditions(raw, where):
    conditions = raw.get("conditions", [])
    if not isinstance(conditions, list) or not all(isinstance(c, str) and c.strip() for c in conditions):
        raise CatalogError(f"{where}: field 'conditions' must be a list of sentences", "conditions")
    return tuple(conditions)


def _special_procedures(raw, where):
    procedures = raw.get("special_procedures", [])
    if (
        not isinstance(procedures, list)
        or not set(procedures) <= set(SPECIAL_PROCEDURES)
        or len(set(procedures)) != len(procedures)
    ):
        raise CatalogError(
            f"{where}: field 'special_procedures' must list some of {SPECIAL_PROCEDURES}, "
            f"each once, not {procedures!r}",
            "special_procedures",
        )
    return tuple(procedures)


def _flag(raw, key, where):
    return _require(raw, key, bool, where) if key in raw else False


def validate_item(raw, department, where="item"):
    """The item ``raw`` describes (a mapping of ``ITEM_FIELDS``), of ``department``; the first
    broken rule raises CatalogError naming the field. Every version of an item passes here,
    whether it comes from a seed file or from the API."""
    raw = _mapping(raw, "item", where)
    where = f"{where} {raw.get('code', '?')}"
    unknown = sorted(set(raw) - set(ITEM_FIELDS))
    if unknown:
        raise CatalogError(f"{where}: unknown field {unknown[0]!r}", unknown[0])
    kind = _require(raw, "kind", str, where)
    if kind not in KINDS:
        raise CatalogError(f"{where}: field 'kind' must be one of {KINDS}, not {kind!r}", "kind")
    _require(raw, "materials", list, where)
    if not isinstance(raw.get("fees", []), list):
        raise CatalogError(f"{where}: field 'fees' must be list, not {raw['fees']!r}", "fees")
    item = Item(
        code=_matching(raw, "code", ITEM_CODE, where),
        name_zh=_require(raw, "name_zh", str, where),
        name_en=_require(raw, "name_en", str, where),
        department=department,
        kind=kind,
        legal_limit_days=_count(raw, "legal_limit_days", where),
        promised_limit_days=_count(raw, "promised_limit_days", where),
        visits=_count(raw, "visits", where),
        process_key=_require(raw, "process_key", str, where),
        process_version=_process_version(raw, where),
        legal_basis=_require(raw, "legal_basis", str, where),
        materials=_unique_codes(_each(raw, "materials", _material, "material", where), "material", where, "materials"),
        conditions=_conditions(raw, where),
        fees=_unique_codes(_each(raw, "fees", _fee, "fee", where), "fee", where, "fees"),
        on_the_spot=_flag(raw, "on_the_spot", where),
        form=_form(raw, where),
        special_procedures=_special_procedures(raw, where),
    )
    if item.on_the_spot and item.kind == "joint":
        raise CatalogError(
            f"{where}: field 'on_the_spot' is not for joint items (several departments decide them together)",
            "on_the_spot",
        )
    if item.promised_limit_days > item.legal_limit_days:
        raise CatalogError(f"{where}: field 'promised_limit_days' exceeds 'legal_limit_days'", "promised_limit_days")
    return item


def item_fields(item):
    """The mapping ``validate_item`` reads, for ``item``: what a version stores and an edit changes."""
    data = item.as_dict()
    del data["department"]
    if data["form"] is None:
        del data["form"]
    for entry in data.get("form", ()):
        for name, empty in (("options", []), ("max_length", None)):
            if entry[name] == empty:
                del entry[name]
    return data


def load_catalog(directory):
    """Read every ``*.yaml`` file in ``directory``; raise CatalogError on the first fault."""
    departments, items, retired = {}, {}, set()
    files = sorted(Path(directory).glob("*.yaml"))
    if not files:
        raise CatalogError(f"{directory}: no catalog files (*.yaml)")
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise CatalogError(f"{path.name}: not valid YAML: {exc}") from None
        where = path.name
        if not isinstance(data, dict):
            raise CatalogError(f"{where}: expected a mapping with 'department' and 'items'")
        dept = _require(data, "department", dict, where)
        department = Department(
            _matching(dept, "code", DEPARTMENT_CODE, f"{where} department"),
            _require(dept, "name_zh", str, f"{where} department"),
            _require(dept, "name_en", str, f"{where} department"),
        )
        if department.code in departments:
            raise CatalogError(f"{where} department: code {department.code!r} already used by another file")
        departments[department.code] = department
        for raw in _require(data, "items", list, where):
            raw = dict(_mapping(raw, "item", f"{where} item"))
            active = raw.pop("active", True)
            if not isinstance(active, bool):
                raise CatalogError(
                    f"{where} item {raw.get('code', '?')}: field 'active' must be bool, not {active!r}", "active"
                )
            item = validate_item(raw, department.code, f"{where} item")
            if item.code in items:
                raise CatalogError(f"{where} item {item.code}: code already used")
            items[item.code] = item
            if not active:
                retired.add(item.code)
    return Catalog(departments, items, retired=frozenset(retired))
