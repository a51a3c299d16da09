"""Query parameters are checked against the operation's declared parameters before any service
is asked: an integer beyond the range the store holds is the caller's error (400), not the
service's (the store's driver cannot encode it)."""

import pytest

WORK_LIST = {"tasks": [], "total": 0, "limit": 50, "offset": 0}


@pytest.mark.parametrize("offset", ["9223372036854775808", "1000001", "-1", "1e3"])
def test_an_offset_outside_its_range_is_400_naming_it(client, fake_rpc, bearer, offset):
    answer = client.get("/api/v1/tasks", query_string={"offset": offset}, headers=bearer("clerk"))

    assert answer.status_code == 400 and answer.mimetype == "application/problem+json"
    assert [error["field"] for error in answer.get_json()["errors"]] == ["offset"]
    assert fake_rpc.calls == []


def test_an_offset_within_its_range_reaches_the_work_list(client, fake_rpc, bearer):
    fake_rpc.answer("approval", "work_list", WORK_LIST)

    assert client.get("/api/v1/tasks?offset=1000000", headers=bearer("clerk")).status_code == 200
    [call] = fake_rpc.calls
    assert 1_000_000 in call.args
