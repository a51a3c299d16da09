"""Every page of the hall works under its strict content policy: each one is opened and used
(the designer with a diagram opened, an element renamed, its menus and the align icons) and
the browser reports no violation, neither as a `securitypolicyviolation` event nor as a
console error ("Refused to …", "… violates the following Content Security Policy …"; the
`pages` fixture fails the test on those)."""

import pytest
from playwright.sync_api import expect

from gateway.headers import PAGE_POLICY

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(
  `${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber} ${e.sample}`));
"""
SIGNED_IN = {"/work": "reviewer", "/supervision": "supervisor", "/designer": "designer", "/catalog": "admin"}
# Something each page shows once its data has come from the API.
LOADED = {
    "/": "#catalog-items > *",
    "/board": "body[data-link=live]",
    "/work": "#work-count:not(:empty)",
    "/supervision": "#rates:not(:empty)",
    "/designer": "#process option[value=immediate_item]",
    "/catalog": "#catalog-items > *",
}


def violations(page):
    return page.evaluate("window.__violations")


@pytest.mark.parametrize("path", ["/", "/board", "/work", "/supervision", "/designer", "/catalog"])
def test_every_page_is_served_with_the_strict_policy_and_violates_nothing(pages, gateway, path):
    assert gateway.get(path).headers["Content-Security-Policy"] == PAGE_POLICY
    page = pages.open(path, init_script=RECORD_VIOLATIONS)
    if path in SIGNED_IN:
        pages.sign_in(page, SIGNED_IN[path])
        expect(page.locator("#sign-out")).to_be_visible()
    if path == "/":
        page.get_by_role("tab", name="事项清单").click()
    expect(page.locator(LOADED[path]).first).to_be_attached(timeout=15_000)
    page.evaluate("new Promise((done) => setTimeout(done, 500))")  # late answers rendered too

    assert violations(page) == []


def test_the_designer_opens_edits_and_aligns_a_diagram_without_a_violation(pages):
    page = pages.open("/designer", viewport=(1400, 1000), init_script=RECORD_VIOLATIONS)
    pages.sign_in(page, "designer")
    page.get_by_label("已部署流程").select_option("immediate_item")
    page.locator("#version").select_option("1")
    page.get_by_role("button", name="打开", exact=True).click()
    expect(page.locator("body")).to_have_attribute("data-opened", "immediate_item:1")
    expect(page.locator(".bjs-powered-by")).to_be_visible()

    task = page.locator('#canvas [data-element-id="decide"]')
    task.dblclick()  # direct editing of the label
    editor = page.locator(".djs-direct-editing-parent [contenteditable]")
    editor.press("Control+A")
    editor.fill("首席代表决定")
    page.locator("#canvas").click(position={"x": 5, "y": 5})
    expect(task).to_contain_text("首席代表决定")
    task.click()  # the context pad, then the replace menu
    expect(page.locator(".djs-context-pad")).to_be_visible()
    page.locator('.djs-context-pad [data-action="replace"]').click()
    expect(page.locator(".djs-popup")).to_be_visible()
    page.keyboard.press("Escape")
    page.locator('#canvas [data-element-id="accept"]').click()
    page.locator('#canvas [data-element-id="decide"]').click(modifiers=["Shift"])
    page.locator('.djs-context-pad [data-action="align-elements"]').click()  # icons with style attributes
    expect(page.locator(".djs-popup [data-id]").first).to_be_visible()
    pages.screenshot(page, "designer-content-policy")

    assert violations(page) == []


def test_a_refused_inline_style_is_reported(pages):
    """Proves the watch above can see a violation: the page inserts a style attribute by markup
    (and the console reports it too: the `pages` fixture would fail the other tests on it)."""
    pages.console.allow("violates the following Content Security Policy directive")
    page = pages.open("/", init_script=RECORD_VIOLATIONS)

    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")

    page.wait_for_function("window.__violations.length > 0")
    assert "style-src" in violations(page)[0]
    assert any("Content Security Policy" in error for error in pages.console.errors)
