"""Staff accounts on the real document store: two gateway replicas share them, so an account
created on one signs in on the other, and disabling it on one ends its token on both."""

ACCOUNT = {
    "username": "zhao.min",
    "display_name": "税务审查员 赵敏",
    "roles": ["reviewer"],
    "department": "taxation",
    "password": "zhao-min-password",
}


def test_an_account_created_on_one_replica_is_disabled_for_both(replicas, admin):
    first, second = replicas
    assert first.post("/api/v1/admin/staff", headers=admin, json=ACCOUNT).status_code == 201
    assert second.post("/api/v1/admin/staff", headers=admin, json=ACCOUNT).status_code == 409

    signed_in = second.post("/api/v1/auth/token", json={"username": "zhao.min", "password": ACCOUNT["password"]})
    assert signed_in.status_code == 200 and signed_in.get_json()["department"] == "taxation"
    token = {"Authorization": "Bearer " + signed_in.get_json()["access_token"]}
    assert first.get("/api/v1/tasks", headers=token).status_code == 200

    assert second.post("/api/v1/admin/staff/zhao.min/disable", headers=admin).status_code == 200

    assert first.get("/api/v1/tasks", headers=token).status_code == 401
    assert (
        first.post("/api/v1/auth/token", json={"username": "zhao.min", "password": ACCOUNT["password"]}).status_code
        == 401
    )
    [listed] = second.get("/api/v1/admin/staff", headers=admin).get_json()["accounts"]
    assert listed["disabled"] and listed["disabled_by"] == "root" and listed["created_by"] == "root"
