"""Every string a caller sends has a maximum length, every list a maximum size and every number
a range the store can hold (OWASP API4): request bodies, query, path and header parameters,
through every ``$ref``."""

from gateway.openapi import build_spec

SPEC = build_spec()
STORE_INTEGERS = range(-(2**63), 2**63)  # MongoDB's 8-byte integers


def subschemas(schema, where, seen=frozenset()):
    """``(where, schema)`` of ``schema`` and of every schema inside it."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name not in seen:
            yield from subschemas(SPEC["components"]["schemas"][name], name, seen | {name})
        return
    yield where, schema
    for name, sub in schema.get("properties", {}).items():
        yield from subschemas(sub, f"{where}.{name}", seen)
    for key in ("items", "additionalProperties", "propertyNames"):
        if isinstance(schema.get(key), dict):
            yield from subschemas(schema[key], f"{where}.{key}", seen)
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for n, sub in enumerate(schema.get(key, [])):
            yield from subschemas(sub, f"{where}.{key}[{n}]", seen)


def types(schema):
    return set(schema["type"]) if isinstance(schema.get("type"), list) else {schema.get("type")}


def unbounded(schema, where):
    """``where`` of every string without ``maxLength`` and every array without ``maxItems``."""
    for inner, sub in subschemas(schema, where):
        # A file (contentMediaType) is bounded by the request size (413) and MATERIAL_MAX_BYTES instead.
        if "string" in types(sub) and not {"maxLength", "enum", "const", "contentMediaType"} & set(sub):
            yield inner
        if "array" in types(sub) and "maxItems" not in sub:
            yield inner + "[]"


def out_of_store_range(schema, where):
    """``where`` of every integer or number whose declared range reaches beyond the store's integers."""
    for inner, sub in subschemas(schema, where):
        if {"integer", "number"} & types(sub) and not {"enum", "const"} & set(sub):
            low = sub.get("minimum", sub.get("exclusiveMinimum"))
            high = sub.get("maximum", sub.get("exclusiveMaximum"))
            if low is None or high is None or low < STORE_INTEGERS[0] or high > STORE_INTEGERS[-1]:
                yield inner


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


def test_every_number_a_caller_sends_fits_the_store():
    found = [where for name, schema in request_schemas() for where in out_of_store_range(schema, name)]

    assert found == []


def test_the_check_finds_an_unbounded_string_and_list():
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string"},
            "b": {"type": "array", "items": {"type": "string", "maxLength": 2}},
            "c": {"type": ["string", "null"], "maxLength": 4},
        },
    }

    assert list(unbounded(schema, "x")) == ["x.a", "x.b[]"]


def test_the_check_finds_numbers_the_store_cannot_hold():
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "integer", "minimum": 0},
            "b": {"type": ["number", "null"], "maximum": 2**63},
            "c": {"type": "integer", "minimum": 1, "maximum": 10},
            "d": {"enum": [1, 2]},
        },
    }

    assert list(out_of_store_range(schema, "x")) == ["x.a", "x.b"]
