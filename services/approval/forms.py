"""Task forms: the data a person submits when completing a task is checked against the
task's form fields. Only form fields are accepted, so a caller cannot overwrite other
process variables (such as another step's decision)."""
from services.common.errors import InvalidInput

MAX_TEXT = 2000


def _check_field(field, value):
    kind = field.get("type", "string")
    if kind == "boolean":
        return None if isinstance(value, bool) else "must be true or false"
    if kind == "long":
        return None if isinstance(value, int) and not isinstance(value, bool) else "must be a whole number"
    if kind == "enum":
        options = [o["id"] for o in field.get("options", [])]
        return None if value in options else f"must be one of {', '.join(options)}"
    if not isinstance(value, str):
        return "must be text"
    if len(value) > MAX_TEXT:
        return f"must be at most {MAX_TEXT} characters"
    return None


def validate_form_data(form, data):
    """Raise InvalidInput listing every field error; return the data to merge."""
    if not isinstance(data, dict):
        raise InvalidInput("task data must be an object")
    fields = {f["id"]: f for f in form}
    errors = [{"field": key, "message": "is not a field of this task's form"} for key in data if key not in fields]
    for field_id, field in fields.items():
        if field_id not in data or data[field_id] is None or data[field_id] == "":
            if field.get("required"):
                errors.append({"field": field_id, "message": "is required"})
            continue
        problem = _check_field(field, data[field_id])
        if problem:
            errors.append({"field": field_id, "message": problem})
    if errors:
        raise InvalidInput("the task data does not match the task's form", errors)
    return {k: v for k, v in data.items() if v is not None and v != ""}
