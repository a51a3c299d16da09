"""Task forms: the data a person submits when completing a task is checked against the
task's form fields. Only form fields are accepted, so a caller cannot overwrite other
process variables (such as another step's decision).

A form field, as a task carries it: ``{id, label, type, required, options, default,
readonly, constraints}``. Types are Camunda's generated-form types: ``string``, ``long``,
``boolean``, ``date`` (ISO ``YYYY-MM-DD``) and ``enum``; constraints are ``minlength`` and
``maxlength`` (text), ``min`` and ``max`` (whole numbers). A field left out takes its
default value; a read-only field keeps its default (submitting another value is refused).
``describe_field`` builds that shape at deploy and refuses what it cannot honour, naming the
field, so a form never silently drops a designer's rule.
"""

from datetime import date

from services.common.errors import InvalidInput

MAX_TEXT = 2000
FIELD_TYPES = ("string", "long", "boolean", "date", "enum")
LENGTH_RULES, RANGE_RULES = ("minlength", "maxlength"), ("min", "max")
RULES = ("required", "readonly", *LENGTH_RULES, *RANGE_RULES)


def describe_field(field_id, label, kind, default=None, rules=(), options=()):
    """The field as tasks carry it. ``rules`` are (name, config) pairs (Camunda's
    ``camunda:constraint``), ``options`` (id, name) pairs. Raises ValueError naming the field
    for a type, rule or default value the platform does not support."""
    kind = kind or "string"
    if kind not in FIELD_TYPES:
        raise ValueError(f"form field {field_id!r}: type {kind!r} is not supported ({', '.join(FIELD_TYPES)})")
    field = {
        "id": field_id,
        "label": label or field_id,
        "type": kind,
        "required": False,
        "readonly": False,
        "options": [{"id": option_id, "name": name or option_id} for option_id, name in options],
        "constraints": {},
        "default": None,
    }
    for name, config in rules:
        if name not in RULES:
            raise ValueError(f"form field {field_id!r}: the constraint {name!r} is not supported ({', '.join(RULES)})")
        if name in ("required", "readonly"):
            field[name] = True
        elif (name in LENGTH_RULES and kind == "string") or (name in RANGE_RULES and kind == "long"):
            field["constraints"][name] = _whole_number(field_id, name, config)
        else:
            raise ValueError(f"form field {field_id!r}: the constraint {name!r} does not apply to a {kind} field")
    if default not in (None, ""):
        field["default"] = _typed_default(field, default)
    return field


def _whole_number(field_id, name, config):
    try:
        return int(str(config).strip())
    except ValueError:
        raise ValueError(f"form field {field_id!r}: {name} must be a whole number, not {config!r}") from None


def _typed_default(field, text):
    """A default written as text in the diagram, as the field's value; literal values only."""
    text = str(text)
    if "${" in text or "#{" in text:
        raise ValueError(f"form field {field['id']!r}: a default value must be a literal, not the expression {text!r}")
    value = {"long": _parse_long, "boolean": _parse_boolean}.get(field["type"], lambda v: v)(text)
    problem = _check_field({**field, "readonly": False}, value)
    if value is None or problem:
        raise ValueError(f"form field {field['id']!r}: the default value {text!r} {problem or 'is not valid'}")
    return value


def _parse_long(text):
    try:
        return int(text)
    except ValueError:
        return None


def _parse_boolean(text):
    return {"true": True, "false": False}.get(text.strip().lower())


def _is_iso_date(value):
    try:
        return len(value) == 10 and date.fromisoformat(value) is not None
    except ValueError:
        return False


def _check_field(field, value):
    kind, limits = field.get("type", "string"), field.get("constraints") or {}
    if field.get("readonly") and value != field.get("default"):
        return "is read-only"
    if kind == "boolean":
        return None if isinstance(value, bool) else "must be true or false"
    if kind == "long":
        if not isinstance(value, int) or isinstance(value, bool):
            return "must be a whole number"
        if "min" in limits and value < limits["min"]:
            return f"must be at least {limits['min']}"
        if "max" in limits and value > limits["max"]:
            return f"must be at most {limits['max']}"
        return None
    if kind == "enum":
        options = [o["id"] for o in field.get("options", [])]
        return None if value in options else f"must be one of {', '.join(options)}"
    if not isinstance(value, str):
        return "must be text"
    if kind == "date":
        return None if _is_iso_date(value) else "must be a date written YYYY-MM-DD"
    longest = min(limits.get("maxlength", MAX_TEXT), MAX_TEXT)
    if len(value) > longest:
        return f"must be at most {longest} characters"
    if len(value) < limits.get("minlength", 0):
        return f"must be at least {limits['minlength']} characters"
    return None


def validate_form_data(form, data):
    """Raise InvalidInput listing every field error; return the data to merge (fields left
    out take their default values)."""
    if not isinstance(data, dict):
        raise InvalidInput("task data must be an object")
    fields = {f["id"]: f for f in form}
    errors = [{"field": key, "message": "is not a field of this task's form"} for key in data if key not in fields]
    merged = dict(data)
    for field_id, field in fields.items():
        if field_id not in data or data[field_id] is None or data[field_id] == "":
            merged.pop(field_id, None)
            if field.get("default") is not None:
                merged[field_id] = field["default"]
            elif field.get("required"):
                errors.append({"field": field_id, "message": "is required"})
            continue
        problem = _check_field(field, data[field_id])
        if problem:
            errors.append({"field": field_id, "message": problem})
    if errors:
        raise InvalidInput("the task data does not match the task's form", errors)
    return merged
