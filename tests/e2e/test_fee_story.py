"""A fee-bearing application travels the whole hall: accepted at the intake window,
reviewed and decided by natural resources, its fee assessed by the flow's DMN table, paid
at the bank window, and only then approved."""

from tests.waiting import eventually

APPLICANT = {"kind": "person", "name": "钱七", "id_number": "11010519491231002X"}
APPLICATION = {
    "item_code": "NR-001",
    "applicant": APPLICANT,
    "materials": ["application_form", "id_card", "ownership_source"],
}


def complete_next_task(gateway, user, case_no, data):
    def open_task():
        tasks = gateway.get("/api/v1/tasks", as_user=user, params={"case_no": case_no}).json()["tasks"]
        return tasks[0] if tasks else None

    task = eventually(open_task, f"a task for {user}")
    answer = gateway.post(f"/api/v1/tasks/{task['id']}/complete", as_user=user, json={"data": data})
    assert answer.status_code == 200, answer.text
    return task


def public_view(gateway, receipt):
    return gateway.get(
        f"/api/v1/public/cases/{receipt['case_no']}", params={"query_code": receipt["query_code"]}
    ).json()


def test_a_fee_item_is_approved_only_after_the_bank_window_takes_the_fee(gateway):
    answer = gateway.post("/api/v1/cases", json=APPLICATION)
    assert answer.status_code == 201, answer.text
    receipt = answer.json()
    case_no = receipt["case_no"]

    assert complete_next_task(gateway, "clerk", case_no, {"intake_decision": "accept"})["element_id"] == "accept"
    assert complete_next_task(gateway, "nr_reviewer", case_no, {"review_result": "pass"})["element_id"] == "review"
    assert complete_next_task(gateway, "nr_chief", case_no, {"decision": "approved"})["element_id"] == "decide"

    def notice():
        answer = gateway.get(f"/api/v1/cases/{case_no}/payment", as_user="cashier")
        return answer.json() if answer.status_code == 200 else None

    payment_notice = eventually(notice, "the payment notice")
    assert payment_notice["total_fen"] == 8000  # the DMN table's fee for NR-001, in fen
    assert public_view(gateway, receipt)["outcome"] is None  # not decided before the fee is paid
    # The applicant's view says what to pay, and on which notice, at the bank window.
    waiting = eventually(
        lambda: (view := public_view(gateway, receipt))["payment_due"] and view, "the fee on the applicant's view"
    )
    assert waiting["payment_due"]["notice_no"] == payment_notice["notice_no"]
    assert waiting["awaiting"].startswith(f"等待缴费：¥80.00，缴款通知书号：{payment_notice['notice_no']}")
    early = gateway.post(
        "/api/v1/evaluations", json={"case_no": case_no, "query_code": receipt["query_code"], "level": 5}
    )
    assert early.status_code == 409 and early.headers["Content-Type"] == "application/problem+json"

    paid = gateway.post(
        "/api/v1/payments/bank-confirmations",
        as_user="cashier",
        json={"notice_no": payment_notice["notice_no"], "bank_txn_id": f"window-{case_no}", "amount_fen": 8000},
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "applied" and paid.json()["receipt_no"]

    decided = eventually(
        lambda: (view := public_view(gateway, receipt))["outcome"] and view, "the decision after payment"
    )
    assert decided["outcome"] == "approved" and decided["payment_due"] is None and decided["evaluable"]
    rated = gateway.post(
        "/api/v1/evaluations", json={"case_no": case_no, "query_code": receipt["query_code"], "level": 5}
    )
    assert rated.status_code == 201, rated.text


def test_a_reviewer_cannot_take_money(gateway):
    """No department endpoint marks a notice paid: only the bank or the cashier."""
    answer = gateway.post(
        "/api/v1/payments/bank-confirmations",
        as_user="nr_chief",
        json={"notice_no": "JK20261126000001", "bank_txn_id": "desk-1", "amount_fen": 8000},
    )
    assert answer.status_code == 403
