"""Every request body in the OpenAPI document has an example, in the hall's vocabulary, that
the gateway itself would accept (it validates against the body's schema)."""

from jsonschema import Draft202012Validator

from gateway.validation import BodyValidators


def request_bodies(spec):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
                yield f"{method} {path} ({media_type})", media


def test_every_request_body_has_an_example_that_its_schema_accepts(client):
    spec = client.get("/openapi.json").get_json()
    validators = BodyValidators(spec)
    bodies = list(request_bodies(spec))

    assert len(bodies) > 25
    for where, media in bodies:
        assert "example" in media, f"{where} has no example"
        ref = media["schema"].get("$ref")
        validator = validators[ref.rsplit("/", 1)[1]] if ref else Draft202012Validator(media["schema"])
        assert [e.message for e in validator.iter_errors(media["example"])] == [], where


def test_an_example_that_breaks_its_schema_is_noticed(client):
    spec = client.get("/openapi.json").get_json()

    assert list(BodyValidators(spec)["TokenRequest"].iter_errors({"username": "clerk"}))
