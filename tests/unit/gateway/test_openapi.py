"""The served OpenAPI document and the Flask routes describe the same API."""

import re

import pytest
from jsonschema import Draft202012Validator

METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture
def spec(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def flask_operations(app):
    """{(path, method)} of the app's routes, in OpenAPI path syntax."""
    operations = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operations[(path, method.lower())] = app.view_functions[rule.endpoint]
    return operations


def spec_operations(spec):
    return {
        (path, method): op for path, item in spec["paths"].items() for method, op in item.items() if method in METHODS
    }


def resolve(spec, ref):
    assert ref.startswith("#/"), ref
    node = spec
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_document_is_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1.")
    assert spec["info"]["title"] and spec["info"]["version"]


def test_every_route_is_documented(app, spec):
    undocumented = set(flask_operations(app)) - set(spec_operations(spec))

    assert undocumented == set()


def test_every_documented_operation_is_a_route(app, spec):
    phantom = set(spec_operations(spec)) - set(flask_operations(app))

    assert phantom == set()


def test_every_ref_resolves(spec):
    found = list(refs(spec))

    assert found
    for ref in found:
        assert isinstance(resolve(spec, ref), dict), ref


def test_component_schemas_are_valid_json_schemas(spec):
    for schema in spec["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_every_operation_lists_responses_and_errors_are_problems(spec):
    for (path, method), op in spec_operations(spec).items():
        assert op.get("responses"), f"{method} {path}"
        for status, response in op["responses"].items():
            response = resolve(spec, response["$ref"]) if "$ref" in response else response
            assert response.get("description"), f"{method} {path} {status}"
            if not status.startswith("2"):
                assert set(response["content"]) == {"application/problem+json"}, f"{method} {path} {status}"


def test_every_path_parameter_is_declared(spec):
    for (path, method), op in spec_operations(spec).items():
        in_path = set(re.findall(r"{([^}]+)}", path))
        declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert declared == in_path, f"{method} {path}"


def test_operations_behind_a_token_declare_security_and_401(app, spec):
    documented = spec_operations(spec)
    for operation, view in flask_operations(app).items():
        op = documented[operation]
        guarded = hasattr(view, "required_roles")
        assert bool(op.get("security")) == guarded, operation
        if guarded:
            assert "401" in op["responses"], operation
        if getattr(view, "required_roles", ()):
            assert "403" in op["responses"], operation
    assert set(spec["components"]["securitySchemes"]) >= {
        name for op in documented.values() for req in op.get("security", []) for name in req
    }


def test_operations_with_a_body_document_the_validation_answers(spec):
    for (path, method), op in spec_operations(spec).items():
        if "requestBody" in op:
            assert {"400", "415", "422"} <= set(op["responses"]), f"{method} {path}"
