"""API keys on the real document store: two gateway replicas share them, so a key issued
by one works on the other at once, and a revocation on one is refused by the other."""


def test_a_key_issued_on_one_replica_is_revoked_for_both(replicas, admin):
    first, second = replicas
    issued = first.post(
        "/api/v1/admin/api-keys",
        headers=admin,
        json={"name": "税务局征管系统", "department": "taxation", "permissions": ["reviewer"], "expires_in_days": 7},
    )
    assert issued.status_code == 201
    key = {"X-API-Key": issued.get_json()["api_key"]}

    assert second.get("/api/v1/tasks", headers=key).status_code == 200
    assert second.post(f"/api/v1/admin/api-keys/{issued.get_json()['key_id']}/revoke", headers=admin).status_code == 200
    assert first.get("/api/v1/tasks", headers=key).status_code == 401
    assert [
        k["revoked_at"] is not None for k in first.get("/api/v1/admin/api-keys", headers=admin).get_json()["keys"]
    ] == [True]
