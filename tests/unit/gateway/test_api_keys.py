"""API keys for department systems: admins issue, list and revoke them; a key acts for its
department with its permissions only, is shown once, expires, and is attributed in the log."""

import logging

import pytest

SCOPE = {
    "name": "市场监管局审批系统",
    "department": "market_regulation",
    "permissions": ["reviewer"],
    "expires_in_days": 30,
}


def secret_of(api_key):
    """The secret of ``hk_<key id>_<secret>`` as the gateway parses it: everything after the
    key id (a URL-safe secret may itself hold ``_``, so not the text after the last one)."""
    return api_key.removeprefix("hk_").partition("_")[2]


@pytest.fixture
def issue(client, bearer):
    def issue_key(**changes):
        answer = client.post("/api/v1/admin/api-keys", json=dict(SCOPE, **changes), headers=bearer("admin"))
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()

    return issue_key


def test_a_key_acts_for_its_department_with_its_permissions(client, fake_rpc, issue, caplog):
    key = issue()
    fake_rpc.answer("intake", "get_case", {"case_no": "20261126000001"})
    caplog.set_level(logging.INFO, logger="gateway.metrics")

    answer = client.get("/api/v1/cases/20261126000001", headers={"X-API-Key": key["api_key"]})

    assert answer.status_code == 200
    viewer = fake_rpc.calls_to("intake", "get_case")[0].args[1]
    assert viewer == {"username": f"api-key:{key['key_id']}", "roles": ["reviewer"], "department": "market_regulation"}
    assert f"api-key:{key['key_id']} of department market_regulation" in caplog.text


def test_a_key_cannot_do_what_its_permissions_do_not_allow(client, fake_rpc, issue):
    key = issue()

    answer = client.post("/api/v1/processes", json={"xml": "<x/>"}, headers={"X-API-Key": key["api_key"]})

    assert answer.status_code == 403 and fake_rpc.calls == []


def test_the_key_is_shown_once_and_stored_only_as_its_hash(client, app, bearer, issue):
    key = issue()

    listed = client.get("/api/v1/admin/api-keys", headers=bearer("admin")).get_json()["keys"]

    assert [k["key_id"] for k in listed] == [key["key_id"]]
    assert "api_key" not in listed[0] and key["api_key"] not in repr(listed)
    stored = app.extensions["api_keys"].collection.documents[key["key_id"]]
    assert secret_of(key["api_key"]) not in repr(stored)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"),
        lambda k: "hk_" + "0" * 16 + "_x",
        lambda k: "nonsense",
        lambda k: "",
    ],
)
def test_a_wrong_key_is_401_like_any_other(client, fake_rpc, issue, spoil):
    key = issue()

    answer = client.get("/api/v1/tasks", headers={"X-API-Key": spoil(key["api_key"])})

    assert answer.status_code == 401 and answer.mimetype == "application/problem+json" and fake_rpc.calls == []


@pytest.mark.parametrize("authorization", ["Bearer not-a-token", None])
def test_a_key_beside_a_bearer_token_is_refused_whichever_is_wrong(client, fake_rpc, bearer, issue, authorization):
    headers = {"X-API-Key": issue()["api_key"], "Authorization": authorization or bearer("clerk")["Authorization"]}

    answer = client.get("/api/v1/tasks", headers=headers)

    assert answer.status_code == 401 and "not both" in answer.get_json()["detail"] and fake_rpc.calls == []


def test_a_revoked_or_expired_key_is_refused(client, app, bearer, fake_rpc, issue):
    revoked, expired = issue(), issue(expires_in_days=1)
    fake_rpc.answer("approval", "work_list", {"tasks": [], "total": 0, "limit": 50, "offset": 0})
    assert client.get("/api/v1/tasks", headers={"X-API-Key": revoked["api_key"]}).status_code == 200

    answer = client.post(f"/api/v1/admin/api-keys/{revoked['key_id']}/revoke", headers=bearer("admin"))
    app.extensions["api_keys"].collection.documents[expired["key_id"]]["expires_at"] = 0

    assert answer.status_code == 200 and answer.get_json()["revoked_at"]
    for key in (revoked, expired):
        assert client.get("/api/v1/tasks", headers={"X-API-Key": key["api_key"]}).status_code == 401


def test_only_admins_issue_keys_and_never_admin_or_designer_keys(client, bearer):
    assert client.post("/api/v1/admin/api-keys", json=SCOPE, headers=bearer("supervisor")).status_code == 403
    for role in ("admin", "designer"):
        answer = client.post("/api/v1/admin/api-keys", json=dict(SCOPE, permissions=[role]), headers=bearer("admin"))
        assert answer.status_code == 422


def test_revoking_an_unknown_key_is_404(client, bearer):
    answer = client.post("/api/v1/admin/api-keys/0123456789abcdef/revoke", headers=bearer("admin"))

    assert answer.status_code == 404 and answer.mimetype == "application/problem+json"


def test_a_repeated_issue_with_its_idempotency_key_gets_the_first_key_which_the_store_never_holds_in_clear(
    app, client, bearer
):
    headers = {**bearer("admin"), "Idempotency-Key": "issue-key-0001"}
    first = client.post("/api/v1/admin/api-keys", json=SCOPE, headers=headers)
    again = client.post("/api/v1/admin/api-keys", json=SCOPE, headers=headers)
    other = client.post("/api/v1/admin/api-keys", json=dict(SCOPE, expires_in_days=31), headers=headers)

    assert (first.status_code, again.status_code, again.get_json()) == (201, 201, first.get_json())
    assert other.status_code == 409 and "different request" in other.get_json()["detail"]
    assert len(app.extensions["api_keys"].listing()) == 1
    secret = secret_of(first.get_json()["api_key"])
    assert secret not in str(app.extensions["requests"].collection.documents)
    answer = client.get("/api/v1/admin/api-keys", headers={"X-API-Key": again.get_json()["api_key"]})
    assert answer.status_code == 403  # the repeated key is the real one: it signs in (as a reviewer)
