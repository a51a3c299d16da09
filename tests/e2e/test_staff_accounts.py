"""Staff accounts on the running platform: the admin gives a new market-regulation reviewer an
account, she signs in and works only her department's tasks; when she leaves, her account is
disabled and neither her password nor her token opens anything. A production gateway starts
only with an admin account, created once from a mounted password file."""

import os
import subprocess
import sys
import uuid

import requests
from pymongo import MongoClient

from gateway.production import NO_ADMIN
from stack.platform import REPO_ROOT
from tests.waiting import eventually

PERSON = {"kind": "person", "name": "周九", "id_number": "11010519491231002X"}
FOOD_LICENCE = {
    "item_code": "MR-003",
    "applicant": PERSON,
    "materials": ["application_form", "business_license", "premises_layout", "safety_rules"],
}
PASSWORD = "reviewer-password-1"


def create_account(gateway, username, department):
    """The admin creates it, and the repeat with the same Idempotency-Key (the gateway's own
    request log, in its database) gets the first answer rather than "taken"."""
    account = {
        "username": username,
        "display_name": f"审查员 {username}",
        "roles": ["reviewer"],
        "department": department,
        "password": PASSWORD,
    }
    key = {"Idempotency-Key": f"create-{username}"}
    answer, again = [
        gateway.post("/api/v1/admin/staff", as_user="admin", json=account, headers=dict(key)) for _ in range(2)
    ]
    assert (answer.status_code, again.status_code) == (201, 201), again.text
    assert again.json() == answer.json()
    return answer.json()


def sign_in(gateway, username, password=PASSWORD):
    return requests.post(
        f"{gateway.url}/api/v1/auth/token", json={"username": username, "password": password}, timeout=10
    )


def tasks_of(gateway, token, **params):
    answer = requests.get(
        f"{gateway.url}/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}, params=params, timeout=10
    )
    return answer


def test_a_new_reviewer_works_only_her_departments_tasks_until_her_account_is_disabled(gateway):
    suffix = uuid.uuid4().hex[:6]
    market, tax = f"wang.{suffix}", f"li.{suffix}"
    create_account(gateway, market, "market_regulation")
    create_account(gateway, tax, "taxation")
    case_no = gateway.post("/api/v1/cases", json=FOOD_LICENCE).json()["case_no"]
    [accept] = eventually(
        lambda: gateway.get("/api/v1/tasks", as_user="clerk", params={"case_no": case_no}).json()["tasks"],
        "the intake task",
    )
    assert (
        gateway.post(
            f"/api/v1/tasks/{accept['id']}/complete", as_user="clerk", json={"data": {"intake_decision": "accept"}}
        ).status_code
        == 200
    )

    signed_in = sign_in(gateway, market)
    assert signed_in.status_code == 200 and signed_in.json()["department"] == "market_regulation"
    token = signed_in.json()["access_token"]
    [review] = eventually(lambda: tasks_of(gateway, token, case_no=case_no).json()["tasks"], "the review task")
    assert review["element_id"] == "review"
    mine = tasks_of(gateway, token).json()["tasks"]
    assert mine and {task["department"] for task in mine} == {"market_regulation"}
    assert tasks_of(gateway, sign_in(gateway, tax).json()["access_token"], case_no=case_no).json()["tasks"] == []
    listed = {a["username"]: a for a in gateway.get("/api/v1/admin/staff", as_user="admin").json()["accounts"]}
    assert listed[market]["created_by"] == "admin" and not listed[market]["disabled"]

    disabled = gateway.post(f"/api/v1/admin/staff/{market}/disable", as_user="admin")

    assert disabled.status_code == 200 and disabled.json()["disabled_by"] == "admin"
    assert sign_in(gateway, market).status_code == 401
    assert tasks_of(gateway, token).status_code == 401
    assert (
        gateway.post(
            f"/api/v1/tasks/{review['id']}/complete", headers={"Authorization": f"Bearer {token}"}, json={"data": {}}
        ).status_code
        == 401
    )


def start_production_gateway(platform, prefix, **env):
    """Builds the gateway app as gunicorn would, in production mode on the live store."""
    environ = dict(
        os.environ,
        APP_ENV="production",
        TOKEN_SECRET="p" * 48,
        BANK_SECRETS="",
        AMQP_URI="amqp://hall:not-used@127.0.0.1:1/",
        MONGO_URI=platform.store.mongo_uri,
        MONGO_DB_PREFIX=prefix,
        PYTHONPATH=str(REPO_ROOT),
        **env,
    )
    for name in ("DEMO_PASSWORD", "ADMIN_PASSWORD", "FLASK_DEBUG", "FLASK_ENV"):
        if name not in env:
            environ.pop(name, None)
    return subprocess.run(
        [sys.executable, "-c", "from gateway import create_app; create_app()"],
        env=environ,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_starts_only_with_an_admin_created_once_from_the_password_file(platform, tmp_path):
    prefix = f"prod{uuid.uuid4().hex[:6]}"
    accounts = MongoClient(platform.store.mongo_uri)[f"{prefix}_gateway"]["staff_accounts"]

    refused = start_production_gateway(platform, prefix)

    assert refused.returncode != 0
    assert NO_ADMIN in refused.stderr
    assert accounts.find_one({"_id": "admin"}) is None

    password_file = tmp_path / "admin_password"
    password_file.write_text("first-admin-of-the-hall\n")
    started = start_production_gateway(platform, prefix, ADMIN_PASSWORD_FILE=str(password_file))
    assert started.returncode == 0, started.stderr
    admin = accounts.find_one({"_id": "admin"})
    assert admin["roles"] == ["admin"] and admin["created_by"] == "bootstrap"
    assert "first-admin-of-the-hall" not in str(admin)

    password_file.write_text("another-password-now\n")
    again = start_production_gateway(platform, prefix, ADMIN_PASSWORD_FILE=str(password_file))
    assert again.returncode == 0, again.stderr
    assert accounts.find_one({"_id": "admin"})["password_hash"] == admin["password_hash"]  # created once
    password_file.unlink()
    assert start_production_gateway(platform, prefix).returncode == 0  # the admin exists: no password needed
