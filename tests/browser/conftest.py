"""Debian's Chromium, headless, driven by Playwright against the whole platform.

The platform starts like the end-to-end one, with live-board streams that end every few
seconds so that the board's reconnect is exercised. Every page of a test is watched for
console errors and uncaught exceptions; a test fails on any it did not expect.
Screenshots go to ``<pytest's base temp>/screenshots/`` for review.
"""

import re
import shutil

import pytest
from playwright.sync_api import sync_playwright

from stack.platform import Platform
from tests.e2e.conftest import Gateway

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STREAM_SECONDS = 4


@pytest.fixture(scope="session")
def platform(tmp_path_factory):
    running = Platform(
        tmp_path_factory.mktemp("platform"),
        env={"APP_ENV": "demo", "DEMO_PASSWORD": "demo", "QUEUE_STREAM_SECONDS": str(STREAM_SECONDS)},
    )
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def gateway(platform):
    return Gateway(platform.gateway_url)


@pytest.fixture(scope="session")
def browser():
    """Chromium for the whole session. It is not closed explicitly: under eventlet's
    monkey-patching (tests/conftest.py) Playwright's close and stop never return, and its
    driver closes Chromium itself when the test process ends (its stdin closes)."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: scripts/install.sh installs Debian's chromium")
    playwright = sync_playwright().start()
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder


class Console:
    """Console errors and page exceptions of one test's pages."""

    def __init__(self):
        self.errors = []
        self.allowed = []

    def allow(self, pattern):
        """An error the test provokes on purpose, e.g. the 422 of a refused form."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self):
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]


class Browsing:
    """Opens pages of the platform in fresh browser contexts (sessionStorage is per context)."""

    def __init__(self, browser, base_url, screenshots, console):
        self.browser, self.base_url, self.screenshots, self.console = browser, base_url, screenshots, console
        self.contexts = []

    def open(self, path, *, viewport=(1280, 900), init_script=None, lang="zh", routes=()):
        """A new page at ``path``; ``routes``: (URL pattern, handler) pairs answered in the browser."""
        context = self.browser.new_context(
            base_url=self.base_url, locale="zh-CN", viewport={"width": viewport[0], "height": viewport[1]}
        )
        context.add_init_script(f"localStorage.setItem('hall.lang', '{lang}');")
        if init_script:
            context.add_init_script(init_script)
        for pattern, handler in routes:
            context.route(pattern, handler)
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("console", lambda m: m.type == "error" and self.console.errors.append(f"{page.url}: {m.text}"))
        page.on("pageerror", lambda e: self.console.errors.append(f"{page.url}: {e}"))
        page.goto(path)
        return page

    def screenshot(self, page, name):
        page.screenshot(path=str(self.screenshots / f"{name}.png"), full_page=True)

    @staticmethod
    def sign_in(page, username):
        """Fill the page's sign-in dialog as a demo user."""
        page.get_by_label(re.compile("用户名|Username")).fill(username)
        page.get_by_label(re.compile("^(密码|Password)$")).fill("demo")
        page.get_by_role("button", name=re.compile("^(登录|Sign in)$")).click()

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def console():
    return Console()


@pytest.fixture
def pages(browser, platform, screenshots, console):
    browsing = Browsing(browser, platform.gateway_url, screenshots, console)
    yield browsing
    browsing.close()
    assert console.unexpected() == []
