"""Logging in, bearer tokens, and roles at the gateway's door."""

import hashlib
import time
from pathlib import Path

import jwt
import pytest
import yaml

from gateway import create_app
from gateway.auth import DEMO_USERS, User, issue_token

CASE_NO = "20250102000001"
CONTRACT_USERS = ("clerk", "reviewer", "chief", "cashier", "supervisor", "designer", "admin")
CLERK = User("clerk", "Intake clerk", ("clerk",), "hall", password_hash="")


def claims_of(token, app):
    return jwt.decode(token, app.config["TOKEN_SECRET"], algorithms=["HS256"])


def headers(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("username, roles, department", [(u[0], list(u[2]), u[3]) for u in DEMO_USERS])
def test_demo_user_token_carries_roles_and_department(app, client, username, roles, department):
    response = client.post("/api/v1/auth/token", json={"username": username, "password": "demo"})

    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    claims = claims_of(body["access_token"], app)
    assert (claims["sub"], claims["roles"], claims["department"]) == (username, roles, department)
    assert claims["exp"] - claims["iat"] == app.config["TOKEN_TTL_SECONDS"]


@pytest.mark.parametrize("username", CONTRACT_USERS)
def test_every_demo_user_named_in_the_contract_can_log_in(login, username):
    assert login(username)


def test_every_department_of_the_catalog_has_a_demo_chief_representative_and_reviewer():
    departments = {
        yaml.safe_load(path.read_text(encoding="utf-8"))["department"]["code"]
        for path in (Path(__file__).resolve().parents[3] / "catalog").glob("*.yaml")
    }
    chiefs = {department for _, _, roles, department in DEMO_USERS if "chief" in roles}
    reviewers = {department for _, _, roles, department in DEMO_USERS if "reviewer" in roles}
    assert len(departments) >= 8 and departments <= chiefs and departments <= reviewers


def test_wrong_password_and_unknown_user_get_the_same_401(client):
    wrong = client.post("/api/v1/auth/token", json={"username": "clerk", "password": "not-demo"})
    unknown = client.post("/api/v1/auth/token", json={"username": "nobody", "password": "demo"})

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.mimetype == unknown.mimetype == "application/problem+json"
    assert wrong.get_json()["detail"] == unknown.get_json()["detail"]


def test_an_unknown_user_costs_the_same_password_check_as_a_wrong_password(app, monkeypatch):
    """So that timing does not tell which usernames exist: one key derivation either way."""
    derivations = []
    real = hashlib.pbkdf2_hmac
    monkeypatch.setattr(hashlib, "pbkdf2_hmac", lambda *args: derivations.append(1) or real(*args))
    directory = app.extensions["users"]
    assert directory.authenticate("clerk", "not-the-password") is None
    wrong_password = len(derivations)
    assert directory.authenticate("no_such_clerk", "not-the-password") is None
    assert len(derivations) - wrong_password == wrong_password == 1


def test_expired_token_is_refused(app, client, fake_rpc):
    past = time.time() - 3600
    token = issue_token(CLERK, app.config["TOKEN_SECRET"], ttl_seconds=60, now=past)

    response = client.get("/api/v1/tasks", headers=headers(token))

    assert response.status_code == 401
    assert "expired" in response.get_json()["detail"]
    assert fake_rpc.calls == []


def test_token_signed_with_another_secret_is_refused(client, fake_rpc):
    token = issue_token(CLERK, "someone-elses-secret-0123456789abcdef", ttl_seconds=600)

    assert client.get("/api/v1/tasks", headers=headers(token)).status_code == 401
    assert fake_rpc.calls == []


def test_unsigned_token_is_refused(client, fake_rpc):
    token = jwt.encode({"sub": "admin", "roles": ["admin"], "exp": int(time.time()) + 600}, None, algorithm="none")

    assert client.get("/api/v1/tasks", headers=headers(token)).status_code == 401
    assert fake_rpc.calls == []


def test_token_without_expiry_is_refused(app, client, fake_rpc):
    token = jwt.encode(
        {"sub": "clerk", "roles": ["clerk"], "department": "hall"}, app.config["TOKEN_SECRET"], algorithm="HS256"
    )

    assert client.get("/api/v1/tasks", headers=headers(token)).status_code == 401
    assert fake_rpc.calls == []


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer ", "Basic Y2xlcms6ZGVtbw==", "Bearer not-a-jwt", "Token abc.def.ghi"]
)
def test_missing_or_malformed_authorization_is_401_with_www_authenticate(client, fake_rpc, authorization):
    request_headers = {} if authorization is None else {"Authorization": authorization}

    response = client.get("/api/v1/tasks", headers=request_headers)

    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert fake_rpc.calls == []


def test_clerk_may_not_deploy_a_process(client, fake_rpc, bearer):
    response = client.post("/api/v1/processes", json={"xml": "<definitions/>"}, headers=bearer("clerk"))

    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert fake_rpc.calls == []


def test_designer_deploys_a_process_through_rpc(client, fake_rpc, bearer):
    fake_rpc.answer("approval", "deploy_process", {"key": "p", "version": 1, "created": True})

    response = client.post(
        "/api/v1/processes", json={"xml": "<definitions/>", "filename": "p.bpmn"}, headers=bearer("designer")
    )

    assert response.status_code == 201
    [call] = fake_rpc.calls_to("approval", "deploy_process")
    assert call.args == ("<definitions/>", "p.bpmn")


def test_case_without_token_is_401(client, fake_rpc):
    response = client.get(f"/api/v1/cases/{CASE_NO}")

    assert response.status_code == 401
    assert fake_rpc.calls == []


def test_case_is_asked_for_with_the_callers_principal(client, fake_rpc, bearer):
    fake_rpc.answer("intake", "get_case", {"case_no": CASE_NO})

    response = client.get(f"/api/v1/cases/{CASE_NO}", headers=bearer("reviewer"))

    assert response.status_code == 200
    [call] = fake_rpc.calls_to("intake", "get_case")
    assert call.args == (CASE_NO, {"username": "reviewer", "roles": ["reviewer"], "department": "market_regulation"})


def test_designer_may_not_read_a_case(client, fake_rpc, bearer):
    assert client.get(f"/api/v1/cases/{CASE_NO}", headers=bearer("designer")).status_code == 403
    assert fake_rpc.calls == []


@pytest.mark.parametrize("username", [u[0] for u in DEMO_USERS])
def test_no_demo_user_can_log_in_in_production(app_config, username):
    client = create_app({**app_config, "APP_ENV": "production", "BANK_SECRETS": ""}).test_client()

    response = client.post("/api/v1/auth/token", json={"username": username, "password": "demo"})

    assert response.status_code == 401
