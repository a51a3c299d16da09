"""The hall's display board: a window calls, the board shows and speaks it."""

import json
import re
import time
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

WINDOW = 2  # serves category A only (hall/queue.yaml)
SHANGHAI = timezone(timedelta(hours=8))
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


def stream_of(*calls, kind="call"):
    """A board stream answering with ``calls`` as events ``kind`` (a browser reconnects only
    after a minute)."""
    events = "".join(
        f"id: {call['seq']}\nevent: {kind}\ndata: {json.dumps(call, ensure_ascii=False)}\n\n" for call in calls
    )
    return lambda route: route.fulfill(status=200, content_type="text/event-stream", body="retry: 60000\n\n" + events)


def hall_today():
    return datetime.now(SHANGHAI).date().isoformat()


def test_a_call_arriving_after_a_later_one_is_shown_and_spoken_once(pages):
    """Two windows call at once and the later call's announcement arrives first (their
    sequence numbers are times, a minute after the calls other tests made)."""
    soon = (int(time.time() * 1000) + 60_000) * 1000
    later = {
        "seq": soon + 1004,
        "ticket_id": "x-B901",
        "number": "B901",
        "day": hall_today(),
        "window": 4,
        "category": "B",
        "recall": 0,
        "text_zh": "请B901号到4号窗口办理",
        "text_en": "Ticket B901, please go to window 4.",
        "called_at": "2026-11-26T02:00:00+00:00",
    }
    earlier = dict(
        later,
        seq=soon + 3,
        ticket_id="x-A901",
        number="A901",
        window=3,
        category="A",
        text_zh="请A901号到3号窗口办理",
        text_en="Ticket A901, please go to window 3.",
    )
    board = pages.open(
        "/board",
        init_script=RECORD_SPEECH,
        routes=[("**/api/v1/queue/board/stream*", stream_of(later, earlier, later))],
    )
    for call in (later, earlier):
        row = board.locator("#windows tr", has=board.get_by_role("cell", name=f"{call['window']} 号", exact=True))
        expect(row.locator("td.number")).to_have_text(call["number"])
    expect(board.locator("#latest")).to_contain_text("B901")
    spoken = board.evaluate("window.__spoken")
    assert sum("B901" in text for text in spoken) == 1 and sum("A901" in text for text in spoken) == 1


def test_a_call_the_screen_missed_is_shown_and_not_read_out(pages):
    """Back from an outage, the stream sends the older calls as ``missed``."""
    soon = (int(time.time() * 1000) + 120_000) * 1000
    missed = {
        "seq": soon + 5,
        "ticket_id": "x-C905",
        "number": "C905",
        "day": hall_today(),
        "window": 5,
        "category": "C",
        "recall": 0,
        "text_zh": "请C905号到5号窗口办理",
        "text_en": "Ticket C905, please go to window 5.",
        "called_at": "2026-11-26T02:00:00+00:00",
    }
    board = pages.open(
        "/board",
        init_script=RECORD_SPEECH,
        routes=[("**/api/v1/queue/board/stream*", stream_of(missed, kind="missed"))],
    )
    row = board.locator("#windows tr", has=board.get_by_role("cell", name="5 号", exact=True))
    expect(row.locator("td.number")).to_have_text("C905")
    expect(board.locator("#latest")).to_contain_text("C905")
    assert not any("C905" in text for text in board.evaluate("window.__spoken"))


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


def test_the_board_names_the_hall_day_of_its_calls(pages, gateway):
    board = pages.open("/board")
    day = gateway.get("/api/v1/queue/board").json()["day"]
    expect(board.locator("#board-day")).to_have_attribute("datetime", day)
    year, month, date = map(int, day.split("-"))
    expect(board.locator("#board-day")).to_contain_text(f"{year}年{month}月{date}日")
    board.get_by_role("button", name="English").click()
    expect(board.locator(".board-day")).to_contain_text(re.compile(rf"Today \w+, {date} \w+ {year}"))


def test_at_a_new_day_yesterdays_calls_leave_the_board(pages):
    """The board was loaded on 2 December with A001 at window 2; the first call of 3 December
    (numbers start again: another A001, at window 1) clears yesterday's from the screen, and a
    board answer still naming the 2nd does not bring them back."""
    soon = (int(time.time() * 1000) + 180_000) * 1000
    yesterday = {
        "seq": soon - 60_000_000 + 2,
        "ticket_id": "20261202-A001",
        "number": "A001",
        "day": "2026-12-02",
        "window": 2,
        "category": "A",
        "recall": 0,
        "text_zh": "请A001号到2号窗口办理",
        "text_en": "Ticket A001, please go to window 2.",
        "called_at": "2026-12-02T09:00:00+00:00",
    }
    today = dict(
        yesterday,
        seq=soon + 1,
        ticket_id="20261203-A001",
        day="2026-12-03",
        window=1,
        text_zh="请A001号到1号窗口办理",
        text_en="Ticket A001, please go to window 1.",
        called_at="2026-12-02T16:05:00+00:00",
    )
    answer = {
        "day": "2026-12-02",
        "calls": [yesterday],
        "waiting": {"A": 0},
        "windows": [{"number": n, "open": True, "categories": ["A"], "state": "idle", "ticket": None} for n in (1, 2)],
        "last_seq": yesterday["seq"],
    }
    served = []

    def old_board(route):
        served.append(route.request.url)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(answer))

    board = pages.open(
        "/board", routes=[("**/api/v1/queue/board", old_board), ("**/api/v1/queue/board/stream*", stream_of(today))]
    )
    window = {
        n: board.locator("#windows tr", has=board.get_by_role("cell", name=f"{n} 号", exact=True)) for n in (1, 2)
    }
    expect(window[1].locator("td.number")).to_have_text("A001")
    expect(board.locator("#board-day")).to_have_attribute("datetime", "2026-12-03")
    expect(window[2].locator("td.number")).to_have_text("—")
    expect(board.locator("#latest")).to_contain_text("1 号窗口")
    for _ in range(50):  # the board reloads after the call: the old answer is not taken back
        if len(served) >= 3:
            break
        board.wait_for_timeout(100)
    assert len(served) >= 3
    expect(window[2].locator("td.number")).to_have_text("—")
    expect(board.locator("#board-day")).to_have_attribute("datetime", "2026-12-03")
    pages.screenshot(board, "board-new-day")
