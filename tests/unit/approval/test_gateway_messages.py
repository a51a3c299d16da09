"""The gateway's message route with a fake RPC client: what reaches the approval service, 200
for a delivered message and 202 for a kept one, and bad names, case numbers and bodies
refused before any call."""

PATH = "/api/v1/cases/20261203000101/messages/fire_inspection"
RECEIPT = {"case_no": "20261203000101", "name": "fire_inspection", "message_id": "insp-000042"}


def test_a_delivered_message_is_200_and_a_kept_one_202(client, fake_rpc, bearer):
    fake_rpc.answer("approval", "deliver_message", dict(RECEIPT, delivered=True, kept_until=None))
    delivered = client.post(
        PATH, json={"message_id": "insp-000042", "data": {"passed": True}}, headers=bearer("reviewer")
    )
    fake_rpc.answer("approval", "deliver_message", dict(RECEIPT, delivered=False, kept_until="2027-01-02T00:00:00"))
    kept = client.post(PATH, json={"message_id": "insp-000042"}, headers=bearer("reviewer"))
    assert (delivered.status_code, kept.status_code) == (200, 202)
    first, second = fake_rpc.calls_to("approval", "deliver_message")
    assert first.args[:4] == ("20261203000101", "fire_inspection", {"passed": True}, "insp-000042")
    assert first.args[4]["username"] == "reviewer" and second.args[2] == {}


def test_bad_names_case_numbers_and_bodies_are_refused_before_any_call(client, fake_rpc, bearer):
    for path, body, status in [
        ("/api/v1/cases/20261203000101/messages/1st", {"message_id": "insp-000042"}, 400),
        ("/api/v1/cases/20261203000101/messages/" + "m" * 129, {"message_id": "insp-000042"}, 400),
        ("/api/v1/cases/20261203000101/messages/消息", {"message_id": "insp-000042"}, 400),
        ("/api/v1/cases/2026/messages/fire_inspection", {"message_id": "insp-000042"}, 400),
        (PATH, {"message_id": "short"}, 422),
        (PATH, {"data": {}}, 422),
        (PATH, {"message_id": "insp-000042", "extra": 1}, 422),
    ]:
        answer = client.post(path, json=body, headers=bearer("reviewer"))
        assert answer.status_code == status, (path, body)
        assert answer.mimetype == "application/problem+json"
    assert fake_rpc.calls == []


def test_a_caller_without_credentials_is_401(client, fake_rpc):
    assert client.post(PATH, json={"message_id": "insp-000042"}).status_code == 401
