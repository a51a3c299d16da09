"""Query-string parameters checked against the parameters the operation declares in the
OpenAPI document (as request bodies are in ``gateway.validation``), so the spec and the
checks cannot disagree: unknown names, repeated names and values outside the declared
schema answer 400 problem+json."""

from flask import current_app, request
from jsonschema import Draft202012Validator

from gateway.problems import Problem


def _coerce(value, schema):
    if schema.get("type") == "integer":
        try:
            return int(value)
        except ValueError:
            return value
    return value


def query_params(path, method="get"):
    """The request's query parameters as ``{name: value}``, valid for ``method path``."""
    declared = {
        p["name"]: p
        for p in current_app.extensions["openapi"]["paths"][path][method].get("parameters", [])
        if p["in"] == "query"
    }
    errors, values = [], {}
    for name in request.args:
        if name not in declared:
            errors.append({"field": name, "message": "unknown query parameter"})
            continue
        given = request.args.getlist(name)
        if len(given) > 1:
            errors.append({"field": name, "message": "given more than once"})
            continue
        schema = declared[name]["schema"]
        value = _coerce(given[0], schema)
        problems = [e.message for e in Draft202012Validator(schema).iter_errors(value)]
        if problems:
            errors.append({"field": name, "message": "; ".join(problems)})
        else:
            values[name] = value
    errors += [
        {"field": name, "message": "required"}
        for name, p in declared.items()
        if p.get("required") and name not in request.args
    ]
    if errors:
        raise Problem(400, "Bad request", "the query string does not match the parameters of this operation", errors)
    return values
