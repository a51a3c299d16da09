"""Security headers: every answer forbids sniffing and framing; API answers load nothing
and are not cached; /docs may load only its own assets."""


def test_api_answers_and_problems_carry_the_strict_headers(client, fake_rpc):
    fake_rpc.answer("intake", "list_departments", [])
    for answer in (client.get("/api/v1/departments"), client.get("/api/v1/cases/1")):
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert answer.headers["Cache-Control"] == "no-store"


def test_the_docs_page_may_load_only_its_own_scripts(client):
    policy = client.get("/docs").headers["Content-Security-Policy"]

    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy and "unsafe-eval" not in policy


def test_no_answer_allows_any_origin_with_credentials(client, fake_rpc):
    answer = client.get("/openapi.json", headers={"Origin": "https://evil.example"})

    assert "Access-Control-Allow-Origin" not in answer.headers
