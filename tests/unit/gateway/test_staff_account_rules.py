"""Staff accounts: stored hashed, managed by admins (with who did it), signing in beside the
demo users; a disabled account or a reset password ends the old tokens at once; production
creates the first admin from ADMIN_PASSWORD once and refuses to start without any admin."""

import pytest

from gateway import create_app, staff_roster
from gateway.auth import UserDirectory, hash_password, password_matches
from gateway.production import NO_ADMIN, UnsafeProduction, faults
from gateway.staff_accounts import StaffAccounts
from services.common.config import load_settings
from tests.unit.gateway.conftest import MemoryCollection

PASSWORD = "correct-horse-battery"
WANG = {
    "username": "wang.fang",
    "display_name": "市场监管审查员 王芳",
    "roles": ["reviewer"],
    "department": "market_regulation",
    "password": PASSWORD,
}


def sign_in(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_a_password_is_kept_as_a_salted_pbkdf2_hash():
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)

    assert first != second and PASSWORD not in first
    assert password_matches(PASSWORD, first) and password_matches(PASSWORD, second)
    assert not password_matches(PASSWORD + "!", first)


@pytest.fixture
def accounts():
    return StaffAccounts(MemoryCollection(), MemoryCollection())


def test_two_replicas_starting_together_create_the_first_admin_once(accounts):
    """Both saw no admin; the other replica's insert won: this one leaves it alone."""
    answers = [False]  # this replica's first check ran before the other's insert
    real_check = accounts.has_admin
    accounts.has_admin = lambda: answers.pop() if answers else real_check()
    other = StaffAccounts(accounts.accounts, accounts.audit)
    assert other.create_first_admin("the-other-replicas-password") is True

    assert accounts.create_first_admin("the-same-bootstrap-password") is False

    admin = accounts.accounts.find_one({"_id": "admin"})
    assert password_matches("the-other-replicas-password", admin["password_hash"]) and admin["generation"] == 1
    assert [entry["action"] for entry in accounts.audit.documents.values()] == ["created"]


def test_the_directory_signs_in_demo_users_and_enabled_stored_accounts(accounts):
    directory = UserDirectory.from_settings({"APP_ENV": "demo", "DEMO_PASSWORD": "demo"}, accounts)
    accounts.create(**WANG, by="admin")

    user = directory.authenticate("wang.fang", PASSWORD)

    assert (user.roles, user.department, user.generation) == (("reviewer",), "market_regulation", 1)
    assert directory.authenticate("clerk", "demo").generation is None
    assert directory.authenticate("wang.fang", "demo") is None
    accounts.disable("wang.fang", by="admin")
    assert directory.authenticate("wang.fang", PASSWORD) is None


def test_production_knows_only_stored_accounts(accounts):
    directory = UserDirectory.from_settings({"APP_ENV": "production"}, accounts)
    accounts.create(**WANG, by="admin")

    assert directory.authenticate("clerk", "demo") is None
    assert directory.authenticate("wang.fang", PASSWORD).username == "wang.fang"


def test_an_admin_creates_and_lists_accounts_and_no_password_leaves_the_store(app, client, bearer):
    created = client.post("/api/v1/admin/staff", json=WANG, headers=bearer("admin"))

    assert created.status_code == 201
    body = created.get_json()
    assert (body["username"], body["roles"], body["department"], body["disabled"]) == (
        "wang.fang",
        ["reviewer"],
        "market_regulation",
        False,
    )
    assert body["created_by"] == body["password_set_by"] == "admin"
    assert "password" not in str(body).replace("password_set", "")
    stored = app.extensions["users"].accounts.accounts.documents["wang.fang"]
    assert PASSWORD not in str(stored) and password_matches(PASSWORD, stored["password_hash"])
    listed = client.get("/api/v1/admin/staff", headers=bearer("admin")).get_json()["accounts"]
    assert [a["username"] for a in listed] == ["wang.fang"]


def test_only_admins_manage_accounts(client, bearer):
    for username in ("clerk", "supervisor", "designer"):
        assert client.post("/api/v1/admin/staff", json=WANG, headers=bearer(username)).status_code == 403
        assert client.get("/api/v1/admin/staff", headers=bearer(username)).status_code == 403


def test_a_taken_username_a_demo_username_an_unknown_role_and_a_short_password_are_refused(client, bearer):
    admin = bearer("admin")
    assert client.post("/api/v1/admin/staff", json=WANG, headers=admin).status_code == 201

    assert client.post("/api/v1/admin/staff", json=WANG, headers=admin).status_code == 409
    assert client.post("/api/v1/admin/staff", json=dict(WANG, username="clerk"), headers=admin).status_code == 409
    assert (
        client.post(
            "/api/v1/admin/staff", json=dict(WANG, username="li.lei", roles=["root"]), headers=admin
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/admin/staff", json=dict(WANG, username="li.lei", password="short"), headers=admin
        ).status_code
        == 422
    )


def test_a_stored_account_signs_in_and_carries_its_roles_and_department(client, bearer):
    client.post("/api/v1/admin/staff", json=WANG, headers=bearer("admin"))

    answer = sign_in(client, "wang.fang")

    assert answer.status_code == 200
    assert (answer.get_json()["roles"], answer.get_json()["department"]) == (["reviewer"], "market_regulation")


def test_disabling_refuses_the_sign_in_and_ends_the_tokens_already_issued(client, bearer, fake_rpc):
    fake_rpc.answer("approval", "work_list", {"tasks": [], "total": 0})
    admin = bearer("admin")
    client.post("/api/v1/admin/staff", json=WANG, headers=admin)
    token = {"Authorization": "Bearer " + sign_in(client, "wang.fang").get_json()["access_token"]}
    assert client.get("/api/v1/tasks", headers=token).status_code == 200

    disabled = client.post("/api/v1/admin/staff/wang.fang/disable", headers=admin)

    assert disabled.status_code == 200
    assert disabled.get_json()["disabled"] is True and disabled.get_json()["disabled_by"] == "admin"
    assert sign_in(client, "wang.fang").status_code == 401
    refused = client.get("/api/v1/tasks", headers=token)
    assert refused.status_code == 401 and "disabled" in refused.get_json()["detail"]


def test_disabling_a_disabled_account_again_changes_and_records_nothing(app, client, bearer):
    admin = bearer("admin")
    client.post("/api/v1/admin/staff", json=WANG, headers=admin)
    first = client.post("/api/v1/admin/staff/wang.fang/disable", headers=admin).get_json()

    again = client.post("/api/v1/admin/staff/wang.fang/disable", headers=admin)

    assert again.status_code == 200 and again.get_json() == first
    audit = app.config["STAFF_ACCOUNTS"].audit.documents.values()
    assert [entry["action"] for entry in audit if entry["username"] == "wang.fang"] == ["created", "disabled"]


def test_a_reset_password_replaces_the_old_one_and_ends_the_old_tokens(client, bearer, fake_rpc):
    fake_rpc.answer("approval", "work_list", {"tasks": [], "total": 0})
    admin = bearer("admin")
    client.post("/api/v1/admin/staff", json=WANG, headers=admin)
    old_token = {"Authorization": "Bearer " + sign_in(client, "wang.fang").get_json()["access_token"]}

    reset = client.post(
        "/api/v1/admin/staff/wang.fang/password", json={"password": "another-long-secret"}, headers=admin
    )

    assert reset.status_code == 200 and reset.get_json()["password_set_by"] == "admin"
    assert sign_in(client, "wang.fang").status_code == 401
    new = sign_in(client, "wang.fang", "another-long-secret")
    assert new.status_code == 200
    assert client.get("/api/v1/tasks", headers=old_token).status_code == 401
    assert (
        client.get("/api/v1/tasks", headers={"Authorization": "Bearer " + new.get_json()["access_token"]}).status_code
        == 200
    )


def test_unknown_accounts_answer_404_and_an_admin_cannot_disable_themself(app, client, bearer):
    admin = bearer("admin")
    assert client.post("/api/v1/admin/staff/nobody/disable", headers=admin).status_code == 404
    assert (
        client.post("/api/v1/admin/staff/nobody/password", json={"password": PASSWORD * 2}, headers=admin).status_code
        == 404
    )

    assert client.post("/api/v1/admin/staff/admin/disable", headers=admin).status_code == 409


def test_every_action_is_audited_with_who_and_the_request_id(app, client, bearer):
    admin = dict(bearer("admin"), **{"X-Request-ID": "req-staff-1"})
    client.post("/api/v1/admin/staff", json=WANG, headers=admin)
    client.post("/api/v1/admin/staff/wang.fang/password", json={"password": "another-long-secret"}, headers=admin)
    client.post("/api/v1/admin/staff/wang.fang/disable", headers=admin)

    audit = sorted(app.extensions["users"].accounts.audit.documents.values(), key=lambda entry: entry["at"])

    assert [(e["action"], e["username"], e["by"], e["request_id"]) for e in audit] == [
        ("created", "wang.fang", "admin", "req-staff-1"),
        ("password reset", "wang.fang", "admin", "req-staff-1"),
        ("disabled", "wang.fang", "admin", "req-staff-1"),
    ]


# --- production: the first admin ---------------------------------------------------------


@pytest.fixture
def production(app_config):
    return dict(app_config, APP_ENV="production", BANK_SECRETS="")


def test_production_creates_the_first_admin_once_from_the_password(production, accounts):
    app = create_app(dict(production, STAFF_ACCOUNTS=accounts, ADMIN_PASSWORD="first-admin-secret"))
    client = app.test_client()

    assert sign_in(client, "admin", "first-admin-secret").status_code == 200
    assert sign_in(client, "clerk", "demo").status_code == 401
    created = accounts.listing()
    assert [(a["username"], a["roles"], a["created_by"]) for a in created] == [("admin", ["admin"], "bootstrap")]
    create_app(dict(production, STAFF_ACCOUNTS=accounts, ADMIN_PASSWORD="another-admin-secret"))
    assert sign_in(client, "admin", "first-admin-secret").status_code == 200  # not created again
    create_app(dict(production, STAFF_ACCOUNTS=accounts, ADMIN_PASSWORD=""))  # an admin exists: no password needed


def test_production_without_an_admin_and_without_a_password_refuses_and_says_which(production, accounts):
    with pytest.raises(UnsafeProduction) as refused:
        create_app(dict(production, STAFF_ACCOUNTS=accounts, ADMIN_PASSWORD=""))

    assert refused.value.faults == [NO_ADMIN]
    assert "ADMIN_PASSWORD (or ADMIN_PASSWORD_FILE) is not set" in str(refused.value)


def test_the_first_admins_password_may_come_from_a_file_and_must_be_long(tmp_path):
    secret = tmp_path / "admin_password"
    secret.write_text("from-a-mounted-secret\n")
    environ = {
        "APP_ENV": "production",
        "TOKEN_SECRET": "t" * 48,
        "BANK_SECRETS": "",
        "AMQP_URI": "amqp://hall:pw@rabbitmq:5672/",
        "ADMIN_PASSWORD_FILE": str(secret),
    }

    assert load_settings(environ=environ)["ADMIN_PASSWORD"] == "from-a-mounted-secret"
    short = dict(environ, ADMIN_PASSWORD="short")
    del short["ADMIN_PASSWORD_FILE"]
    assert faults(load_settings(environ=short), short) == ["ADMIN_PASSWORD is shorter than 12 characters"]


def test_demo_mode_creates_no_admin_account(app_config, accounts):
    create_app(dict(app_config, STAFF_ACCOUNTS=accounts, ADMIN_PASSWORD="first-admin-secret"))

    assert accounts.listing() == []


def test_an_operator_locked_out_gets_the_admin_back_with_a_new_password(production, accounts):
    create_app(dict(production, STAFF_ACCOUNTS=accounts, ADMIN_PASSWORD="first-admin-secret"))
    accounts.accounts.update_one({"_id": "admin"}, {"$set": {"disabled_at": 1}})  # as the operator does in mongosh

    app = create_app(dict(production, STAFF_ACCOUNTS=accounts, ADMIN_PASSWORD="a-new-admin-secret"))

    assert sign_in(app.test_client(), "admin", "a-new-admin-secret").status_code == 200
    assert [e["action"] for e in accounts.audit.documents.values()] == ["created", "password reset", "enabled"]


def test_a_repeated_creation_or_reset_with_its_idempotency_key_gets_the_first_answer_once(app, client, bearer):
    admin = bearer("admin")
    create = [
        client.post("/api/v1/admin/staff", json=WANG, headers={**admin, "Idempotency-Key": "create-wang-1"})
        for _ in range(2)
    ]
    reset = [
        client.post(
            "/api/v1/admin/staff/wang.fang/password",
            json={"password": "another-long-secret"},
            headers={**admin, "Idempotency-Key": "reset-wang-01"},
        )
        for _ in range(2)
    ]
    taken = client.post("/api/v1/admin/staff", json=WANG, headers={**admin, "Idempotency-Key": "create-wang-2"})

    assert [a.status_code for a in create + reset] == [201, 201, 200, 200]
    assert create[1].get_json() == create[0].get_json() and reset[1].get_json() == reset[0].get_json()
    assert taken.status_code == 409 and "taken" in taken.get_json()["detail"]
    audit = app.config["STAFF_ACCOUNTS"].audit.documents.values()
    assert [e["action"] for e in audit if e["username"] == "wang.fang"] == ["created", "password reset"]
    assert "another-long-secret" not in str(app.extensions["requests"].collection.documents)


def test_the_approval_service_hears_of_each_account_created_or_disabled_and_of_the_whole_roster(
    app, client, bearer, fake_rpc
):
    admin = bearer("admin")
    client.post("/api/v1/admin/staff", json=WANG, headers=admin)
    client.post("/api/v1/admin/staff/wang.fang/disable", headers=admin)
    sent = [(call.args[0], call.kwargs["complete"]) for call in fake_rpc.calls_to("approval", "sync_staff")]
    member = {"username": "wang.fang", "roles": ["reviewer"], "department": "market_regulation"}
    assert sent == [([dict(member, active=True)], False), ([dict(member, active=False)], False)]

    roster = staff_roster.roster(app.extensions["users"])
    assert dict(member, active=False) in roster
    assert {"username": "ca_reviewer", "roles": ["reviewer"], "department": "civil_affairs", "active": True} in roster
