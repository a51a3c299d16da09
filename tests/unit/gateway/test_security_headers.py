"""Security headers: every answer forbids sniffing, framing and powerful browser features;
each kind of answer has its content policy (API data loads nothing, /docs its own assets,
the pages only the hall's files); HSTS in production only; CORS only for listed origins,
never with credentials."""

import re
from contextlib import contextmanager
from pathlib import Path

import pytest

from gateway import create_app
from gateway.headers import (
    API_POLICY,
    BPMN_JS_STYLE_ATTRIBUTES,
    PAGE_POLICY,
    cors_origins,
    source_hash,
)

BPMN_JS = Path(__file__).resolve().parents[3] / "gateway/web/static/vendor/bpmn-js/bpmn-modeler.production.min.js"
DEPARTMENT_SITE = "https://scjg.yulin.gov.cn"


class SilentFeed:
    """The board's call feed with nothing to say: the stream ends at once."""

    @contextmanager
    def subscribe(self, idle_seconds=1.0):
        yield iter(())


@pytest.fixture
def answers(app, client, fake_rpc):
    """One answer of every kind the gateway gives."""
    fake_rpc.answer("intake", "list_departments", [])
    app.config["QUEUE_CALL_FEED"] = SilentFeed()
    return {
        "page": client.get("/designer"),
        "static asset": client.get("/web/static/hall.css"),
        "API JSON": client.get("/api/v1/departments"),
        "problem": client.get("/api/v1/cases/1"),
        "SSE stream": client.get("/api/v1/queue/board/stream"),
        "docs": client.get("/docs"),
        "spec": client.get("/openapi.json"),
    }


def directives(policy):
    return dict((part.split(" ", 1) + [""])[:2] for part in policy.split("; "))


def test_every_answer_forbids_sniffing_framing_and_powerful_features(answers):
    for kind, answer in answers.items():
        assert answer.status_code in (200, 401), kind
        assert answer.headers["X-Content-Type-Options"] == "nosniff", kind
        assert answer.headers["X-Frame-Options"] == "DENY", kind
        assert answer.headers["Referrer-Policy"] == "no-referrer", kind
        features = answer.headers["Permissions-Policy"]
        for feature in ("camera=()", "microphone=()", "geolocation=()"):
            assert feature in features, kind
        assert "speech" not in features, kind  # the board speaks its calls
        assert "Strict-Transport-Security" not in answer.headers, kind  # demo mode: plain HTTP


def test_api_answers_problems_and_the_stream_load_nothing_and_are_not_cached(answers):
    for kind in ("API JSON", "problem", "SSE stream", "spec"):
        assert answers[kind].headers["Content-Security-Policy"] == API_POLICY
    assert API_POLICY == "default-src 'none'; frame-ancestors 'none'"
    assert answers["problem"].mimetype == "application/problem+json"
    assert answers["SSE stream"].mimetype == "text/event-stream"
    for kind in ("API JSON", "problem"):
        assert answers[kind].headers["Cache-Control"] == "no-store"


def test_the_pages_and_their_assets_load_only_the_halls_own_files(answers):
    for kind in ("page", "static asset"):
        policy = directives(answers[kind].headers["Content-Security-Policy"])
        assert policy["default-src"] == policy["script-src"] == policy["style-src"] == "'self'", kind
        assert policy["connect-src"] == policy["form-action"] == "'self'"
        assert policy["object-src"] == policy["base-uri"] == policy["frame-ancestors"] == "'none'"
        assert "unsafe-inline" not in answers[kind].headers["Content-Security-Policy"]
        assert "unsafe-eval" not in answers[kind].headers["Content-Security-Policy"]
    assert answers["page"].headers["Content-Security-Policy"] == PAGE_POLICY


def test_inline_style_attributes_are_allowed_only_by_hash():
    allowed = directives(PAGE_POLICY)["style-src-attr"].split()

    assert allowed[0] == "'unsafe-hashes'"
    assert allowed[1:] == [source_hash(declaration) for declaration in BPMN_JS_STYLE_ATTRIBUTES]
    assert (
        source_hash("fill:none;stroke:currentColor;stroke-width:100;")
        == "'sha256-yCTUeVKU6CD7LMSHPoB5JSg4Cl/BZ8jCyNCepX770PY='"
    )


@pytest.mark.skipif(not BPMN_JS.exists(), reason="bpmn-js is not installed (scripts/install.sh copies it)")
def test_the_hashed_style_attributes_are_exactly_those_of_the_vendored_bpmn_js():
    """An upgrade of bpmn-js that adds or changes a style attribute fails here first."""
    found = set(re.findall(r'style="([^"]*)"', BPMN_JS.read_text(encoding="utf-8")))

    assert found == set(BPMN_JS_STYLE_ATTRIBUTES)


def test_the_docs_page_may_load_only_its_own_scripts(answers):
    policy = answers["docs"].headers["Content-Security-Policy"]

    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy and "unsafe-eval" not in policy


def test_only_the_docs_page_and_its_assets_get_the_docs_policy(client):
    assert client.get("/docsX").headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_an_origin_listed_in_capitals_matches_what_browsers_send(app_config, fake_rpc):
    fake_rpc.answer("intake", "list_departments", [])
    client = create_app(dict(app_config, CORS_ORIGINS=DEPARTMENT_SITE.upper().replace("HTTPS", "https"))).test_client()

    answer = client.get("/api/v1/departments", headers={"Origin": DEPARTMENT_SITE})

    assert answer.headers["Access-Control-Allow-Origin"] == DEPARTMENT_SITE


def test_production_answers_demand_https(app_config):
    app = create_app(dict(app_config, APP_ENV="production", BANK_SECRETS="", ADMIN_PASSWORD="p" * 16))

    answer = app.test_client().get("/healthz")

    assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_no_origin_is_allowed_by_default(client, fake_rpc):
    fake_rpc.answer("intake", "list_departments", [])
    for answer in (
        client.get("/api/v1/departments", headers={"Origin": DEPARTMENT_SITE}),
        client.options(
            "/api/v1/departments", headers={"Origin": DEPARTMENT_SITE, "Access-Control-Request-Method": "GET"}
        ),
    ):
        assert not [name for name, _ in answer.headers.items() if name.startswith("Access-Control-")]


@pytest.fixture
def cors_client(app_config, fake_rpc):
    fake_rpc.answer("intake", "list_departments", [])
    return create_app(dict(app_config, CORS_ORIGINS=f"{DEPARTMENT_SITE}, http://10.1.2.3:8081")).test_client()


def test_a_listed_origin_is_echoed_without_credentials(cors_client):
    answer = cors_client.get("/api/v1/departments", headers={"Origin": DEPARTMENT_SITE})

    assert answer.headers["Access-Control-Allow-Origin"] == DEPARTMENT_SITE
    assert "X-Request-Id" in answer.headers["Access-Control-Expose-Headers"]
    assert "Origin" in answer.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in answer.headers


def test_a_listed_origins_preflight_may_send_the_token_and_key_headers(cors_client):
    answer = cors_client.options(
        "/api/v1/departments",
        headers={
            "Origin": "http://10.1.2.3:8081",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )

    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == "http://10.1.2.3:8081"
    allowed_headers = set(answer.headers["Access-Control-Allow-Headers"].split(", "))
    assert {"Authorization", "Content-Type", "X-API-Key"} <= allowed_headers
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in answer.headers


def test_an_unlisted_origin_gets_no_cors_headers(cors_client):
    answer = cors_client.get("/api/v1/departments", headers={"Origin": "https://evil.example"})

    assert "Access-Control-Allow-Origin" not in answer.headers
    assert "Origin" in answer.headers["Vary"]


@pytest.mark.parametrize("setting", ["*", "https://a.example/path", "a.example", "https://a.example, *"])
def test_only_exact_origins_may_be_listed(setting, app_config):
    with pytest.raises(ValueError, match="exact origins"):
        create_app(dict(app_config, CORS_ORIGINS=setting))


def test_an_empty_setting_lists_no_origin():
    assert cors_origins("") == cors_origins(" , ") == frozenset()
