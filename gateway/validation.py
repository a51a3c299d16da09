"""Request bodies are checked against the schemas of the app's OpenAPI document, so the
spec and the gateway's checks can never disagree.

Before a body is parsed its nesting is measured: Python's JSON parser recurses once per
level, so a body nested a hundred thousand deep would exhaust the stack (and the store
refuses documents nested beyond 100 levels anyway). No body of the hall nests beyond a few
levels; ``MAX_JSON_DEPTH`` leaves room for form data."""

import re
from itertools import accumulate

from flask import current_app, request
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from gateway.problems import Problem

SPEC_URI = "urn:hall:openapi"
CASE_NO_FORMAT = re.compile(r"^[0-9]{14}$")


def case_number(case_no):
    """A case number from the path, or a 400 problem."""
    if not CASE_NO_FORMAT.match(case_no):
        raise Problem(400, "Bad request", "a case number is 14 digits: YYYYMMDD and a 6-digit sequence")
    return case_no


MAX_JSON_DEPTH = 32

_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DEPTH_CHANGE = tuple(1 if b in b"[{" else -1 if b in b"]}" else 0 for b in range(256))


def json_depth(data):
    """How deep the arrays and objects of the JSON text ``data`` (bytes) nest, in linear time:
    escapes and then strings are cut out, the brackets left are counted."""
    brackets = _STRING.sub(b"", _ESCAPE.sub(b"", data)).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_DEPTH_CHANGE.__getitem__, brackets)), default=0)


class BodyValidators:
    """One JSON Schema validator per component schema of ``spec``, built on first use."""

    def __init__(self, spec):
        self.registry = Registry().with_resource(
            SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012)
        )
        self.validators = {}

    def __getitem__(self, schema_name):
        if schema_name not in self.validators:
            self.validators[schema_name] = Draft202012Validator(
                {"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"}, registry=self.registry
            )
        return self.validators[schema_name]


def _field(error):
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1]
        return f"{path}.{missing}" if path else missing
    if error.validator == "additionalProperties":
        return path or "body"
    return path or "body"


def json_body(schema_name):
    """The request's JSON body, valid against ``#/components/schemas/<schema_name>``."""
    if not request.is_json:
        raise Problem(415, "Unsupported media type", "send the body as application/json")
    if json_depth(request.get_data(cache=True)) > MAX_JSON_DEPTH:
        raise Problem(400, "Bad request", f"the body nests arrays and objects more than {MAX_JSON_DEPTH} levels deep")
    body = request.get_json(silent=True)
    if body is None:
        raise Problem(400, "Bad request", "the body is not valid JSON")
    validator = current_app.extensions["body_validators"][schema_name]
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        raise Problem(
            422,
            "Invalid input",
            f"the request body does not match the schema {schema_name}",
            [{"field": _field(e), "message": e.message} for e in errors],
        )
    return body
