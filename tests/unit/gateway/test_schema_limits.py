"""Every string a caller sends has a maximum length and every list a maximum size (OWASP API4):
request bodies, query, path and header parameters, through every ``$ref``."""
from gateway.openapi import build_spec

SPEC = build_spec()


def unbounded(schema, where, seen=frozenset()):
    """``where`` of every string without ``maxLength`` and every array without ``maxItems``."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return
        yield from unbounded(SPEC["components"]["schemas"][name], name, seen | {name})
        return
    types = schema.get("type") if isinstance(schema.get("type"), list) else [schema.get("type")]
    # A file (contentMediaType) is bounded by the request size (413) and MATERIAL_MAX_BYTES instead.
    if "string" in types and not {"maxLength", "enum", "const", "contentMediaType"} & set(schema):
        yield where
    if "array" in types and "maxItems" not in schema:
        yield where + "[]"
    for name, sub in schema.get("properties", {}).items():
        yield from unbounded(sub, f"{where}.{name}", seen)
    for key in ("items", "additionalProperties", "propertyNames"):
        if isinstance(schema.get(key), dict):
            yield from unbounded(schema[key], f"{where}.{key}", seen)
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for n, sub in enumerate(schema.get(key, [])):
            yield from unbounded(sub, f"{where}.{key}[{n}]", seen)


def request_schemas():
    for path, operations in SPEC["paths"].items():
        for method, operation in operations.items():
            for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
                yield f"{method} {path} body ({media_type})", media["schema"]
            for parameter in operation.get("parameters", []):
                yield f"{method} {path} {parameter['in']} {parameter['name']}", parameter["schema"]


def test_every_string_and_list_a_caller_sends_is_bounded():
    found = [where for name, schema in request_schemas() for where in unbounded(schema, name)]

    assert found == []


def test_the_check_finds_an_unbounded_string_and_list():
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "array", "items": {
        "type": "string", "maxLength": 2}}, "c": {"type": ["string", "null"], "maxLength": 4}}}

    assert list(unbounded(schema, "x")) == ["x.a", "x.b[]"]
