"""What every page keeps: the language switch both ways, a name for every form control, a
clean console (the `pages` fixture fails the test on any console error)."""

import pytest
from playwright.sync_api import expect

# path -> the demo user who signs in there (None: a public page); heading in Chinese and English
PAGES = {
    "/": (None, "办事服务", "Services for applicants"),
    "/board": (None, "请以下号码到窗口办理", "Now calling"),
    "/work": ("reviewer", "待办事项", "Work list"),
    "/supervision": ("supervisor", "电子监察", "Electronic supervision"),
    "/designer": ("designer", None, None),
    "/catalog": ("admin", "事项管理", "Catalog management"),
}

# Form controls without an accessible name: aria-label, aria-labelledby, a <label>, or a title.
UNNAMED_CONTROLS = """() => [...document.querySelectorAll("input, select, textarea")]
  .filter((c) => c.type !== "hidden" && !c.closest("[aria-hidden='true']"))
  .filter((c) => !(c.getAttribute("aria-label") || "").trim() && !c.getAttribute("aria-labelledby")
                 && !(c.labels && [...c.labels].some((l) => l.textContent.trim())) && !(c.title || "").trim())
  .map((c) => c.outerHTML.slice(0, 120))"""


@pytest.mark.parametrize("path", PAGES)
def test_every_page_switches_language_both_ways_and_names_every_control(pages, path):
    user, zh, en = PAGES[path]
    page = pages.open(path)
    if user:
        assert page.evaluate(UNNAMED_CONTROLS) == []  # the sign-in dialog
        pages.sign_in(page, user)
        expect(page.locator("#who")).to_contain_text(user)
    heading = page.get_by_role("heading", level=1)
    if zh:
        expect(heading).to_have_text(zh)

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    if en:
        expect(heading).to_have_text(en)
    assert page.evaluate(UNNAMED_CONTROLS) == []
    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    if zh:
        expect(heading).to_have_text(zh)
    assert page.evaluate(UNNAMED_CONTROLS) == []
