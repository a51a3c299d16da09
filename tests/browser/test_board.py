"""The hall's display board: a window calls, the board shows and speaks it."""
import re

from playwright.sync_api import expect

WINDOW = 2  # serves category A only (hall/queue.yaml)
RECORD_SPEECH = """
window.__spoken = [];
if (window.speechSynthesis) window.speechSynthesis.speak = (u) => window.__spoken.push(u.text);
"""


def call_next_ticket(gateway):
    """Take a ticket of category A and have window 2 call it; the window is freed first."""
    ticket = gateway.post("/api/v1/queue/tickets", json={"category": "A"}).json()
    while (called := gateway.post(f"/api/v1/queue/windows/{WINDOW}/call", as_user="window")).status_code == 409:
        gateway.post(f"/api/v1/queue/windows/{WINDOW}/finish", as_user="window")
    assert called.status_code == 200, called.text
    return ticket, called.json()


def test_the_board_shows_and_speaks_a_call_within_2_seconds_even_after_reconnecting(pages, gateway):
    board = pages.open("/board", init_script=RECORD_SPEECH)
    # The platform's streams end every few seconds: wait for the board to have reconnected.
    expect(board.locator("body")).to_have_attribute("data-connections", re.compile(r"^[2-9]"), timeout=15_000)
    expect(board.locator("body")).to_have_attribute("data-link", "live")

    ticket, called = call_next_ticket(gateway)

    row = board.locator("#windows tr", has=board.get_by_role("cell", name=f"{WINDOW} 号", exact=True))
    expect(row.locator("td.number")).to_have_text(ticket["number"], timeout=2_000)
    expect(board.locator("#latest")).to_contain_text(ticket["number"])
    assert any(ticket["number"] in text for text in board.evaluate("window.__spoken"))
    pages.screenshot(board, "board")


def test_a_muted_board_shows_calls_without_speaking(pages, gateway):
    board = pages.open("/board", init_script=RECORD_SPEECH)
    mute = board.get_by_role("button", name=re.compile("语音播报"))
    mute.press("Enter")
    expect(board.get_by_role("button", name=re.compile("已静音"))).to_have_attribute("aria-pressed", "true")
    expect(board.locator("body")).to_have_attribute("data-link", "live")

    ticket, _ = call_next_ticket(gateway)

    expect(board.locator("#latest")).to_contain_text(ticket["number"], timeout=2_000)
    assert board.evaluate("window.__spoken") == []


def test_the_board_switches_to_english(pages, gateway):
    board = pages.open("/board")
    board.get_by_role("button", name="English").click()
    expect(board.get_by_role("heading", level=1)).to_have_text("Now calling")
    expect(board.locator("html")).to_have_attribute("lang", "en")
    pages.screenshot(board, "board-en")
