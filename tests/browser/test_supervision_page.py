"""The supervisor's page: complaints filed by applicants show up with their deadlines."""
from playwright.sync_api import expect


def test_a_supervisor_sees_rates_and_a_new_complaint(pages, gateway):
    filed = gateway.post("/api/v1/complaints", json={"category": "efficiency", "content": "窗口排队过久"})
    assert filed.status_code == 201, filed.text
    page = pages.open("/supervision")
    pages.sign_in(page, "supervisor")
    expect(page.locator("#complaints")).to_contain_text(filed.json()["complaint_no"])
    expect(page.locator("#rates")).to_contain_text("限时办结率")
    pages.screenshot(page, "supervision")
