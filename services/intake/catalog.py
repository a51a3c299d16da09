"""The public catalog (权力清单): items published by the hall, loaded from the
repository's ``catalog/*.yaml`` at start-up and validated, so that bad data stops the
service with a message naming the file, the item and the field."""
from dataclasses import dataclass, field
from pathlib import Path

import yaml

KINDS = ("immediate", "promised", "joint")
MATERIAL_FORMS = ("paper", "electronic")


class CatalogError(ValueError):
    pass


@dataclass(frozen=True)
class Material:
    code: str
    name: str
    form: str
    required: bool


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
    active: bool = True

    def as_dict(self):
        return {
            "code": self.code, "name_zh": self.name_zh, "name_en": self.name_en,
            "department": self.department, "kind": self.kind,
            "legal_limit_days": self.legal_limit_days, "promised_limit_days": self.promised_limit_days,
            "visits": self.visits, "process_key": self.process_key, "legal_basis": self.legal_basis,
            "active": self.active,
            "materials": [vars(m) for m in self.materials],
        }


@dataclass(frozen=True)
class Department:
    code: str
    name_zh: str
    name_en: str


class Catalog:
    def __init__(self, departments, items):
        self.departments = departments
        self.items = items

    def item(self, code):
        return self.items.get(code)


def _require(mapping, key, kind, where):
    if key not in mapping:
        raise CatalogError(f"{where}: missing field {key!r}")
    value = mapping[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise CatalogError(f"{where}: field {key!r} must be {kind.__name__}, not {value!r}")
    return value


def _material(raw, where):
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: a material must be a mapping")
    form = _require(raw, "form", str, where)
    if form not in MATERIAL_FORMS:
        raise CatalogError(f"{where}: field 'form' must be one of {MATERIAL_FORMS}, not {form!r}")
    return Material(_require(raw, "code", str, where), _require(raw, "name", str, where), form,
                    _require(raw, "required", bool, where))


def _item(raw, department, where):
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: an item must be a mapping")
    where = f"{where} item {raw.get('code', '?')}"
    kind = _require(raw, "kind", str, where)
    if kind not in KINDS:
        raise CatalogError(f"{where}: field 'kind' must be one of {KINDS}, not {kind!r}")
    materials = _require(raw, "materials", list, where)
    item = Item(
        code=_require(raw, "code", str, where),
        name_zh=_require(raw, "name_zh", str, where),
        name_en=_require(raw, "name_en", str, where),
        department=department,
        kind=kind,
        legal_limit_days=_require(raw, "legal_limit_days", int, where),
        promised_limit_days=_require(raw, "promised_limit_days", int, where),
        visits=_require(raw, "visits", int, where),
        process_key=_require(raw, "process_key", str, where),
        legal_basis=_require(raw, "legal_basis", str, where),
        materials=tuple(_material(m, f"{where} material {i + 1}") for i, m in enumerate(materials)),
        active=_require(raw, "active", bool, where) if "active" in raw else True,
    )
    if item.promised_limit_days > item.legal_limit_days:
        raise CatalogError(f"{where}: field 'promised_limit_days' exceeds 'legal_limit_days'")
    return item


def load_catalog(directory):
    """Read every ``*.yaml`` file in ``directory``; raise CatalogError on the first fault."""
    departments, items = {}, {}
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
        department = Department(_require(dept, "code", str, f"{where} department"),
                                _require(dept, "name_zh", str, f"{where} department"),
                                _require(dept, "name_en", str, f"{where} department"))
        departments[department.code] = department
        for raw in _require(data, "items", list, where):
            item = _item(raw, department.code, where)
            if item.code in items:
                raise CatalogError(f"{where} item {item.code}: code already used")
            items[item.code] = item
    return Catalog(departments, items)
