"""A class's links in real Chromium, each on a server of its own: the join link and QR code carry the address
the teacher's browser uses (or the configured one), a reload keeps the teacher's class, a class link opened
first on a fresh server (on any page) opens the join dialog, and an over-long name gets the right message."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from browser_helpers import IDLE, settle
from playwright.sync_api import Browser, Page, expect

from pipeline.classroom import qr_svg, service, store

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from servers import free_port, stop, wait_healthy  # noqa: E402

pytestmark = pytest.mark.e2e
PUBLIC = "https://trace.example-school.org"


@contextmanager
def fresh_server(tmp_path: Path, **env: str) -> Iterator[str]:
    """``pipeline-trace serve`` on a new port and data folder; its URL."""
    port = free_port()
    settings = {**os.environ, "PIPELINE_TRACE_DATA": str(tmp_path), **env}
    settings.pop(store.URL_ENV, None)
    with (tmp_path / "server.log").open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "pipeline", "serve", "--port", str(port), "--no-warm-up"],
                                   cwd=ROOT, env=settings, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(port, process, timeout=90)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


def new_page(browser: Browser, url: str, viewport: dict | None = None) -> Page:
    page = browser.new_context(viewport=viewport or {"width": 1280, "height": 720}).new_page()
    page.set_default_timeout(90_000)
    page.goto(url)
    page.wait_for_selector(IDLE)
    return page


def start_class(page: Page) -> str:
    page.get_by_role("button", name="Start a class").click()
    settle(page)
    return page.get_by_text(re.compile(r"^Class code [2-9A-Z]{6}$")).inner_text().split()[-1]


def modules(svg: str) -> str:
    """The dark modules of a QR code's SVG (its one path's drawing): equal for the same link and error level."""
    return re.search(r'class="qrline"[^>]* d="([^"]+)"', svg).group(1)


def qr_modules(page: Page) -> str:
    """The modules of the QR image on the teacher's board."""
    src = page.get_by_test_id("stImage").locator("img").get_attribute("src")
    head, _, data = src.partition(",")
    return modules(base64.b64decode(data).decode() if "base64" in head else urllib.parse.unquote(data))


def test_the_join_link_and_qr_code_carry_the_browsers_address_with_a_warning(browser: Browser, tmp_path) -> None:
    with fresh_server(tmp_path) as url:
        host = url.replace("127.0.0.1", "localhost")  # the address this browser uses, not the server's own
        page = new_page(browser, f"{host}/class_session")
        code = start_class(page)
        link = f"{host}/?class={code}"
        expect(page.get_by_test_id("stCode").first).to_contain_text(link)
        assert qr_modules(page) == modules(qr_svg(link))  # the QR code opens that same link
        expect(page.get_by_test_id("stAlert").filter(has_text="Phones cannot open this link")).to_be_visible()


def test_the_configured_public_address_goes_in_the_link_and_qr_code(browser: Browser, tmp_path) -> None:
    with fresh_server(tmp_path, PIPELINE_TRACE_PUBLIC_URL=PUBLIC) as url:
        page = new_page(browser, f"{url}/class_session")
        code = start_class(page)
        link = f"{PUBLIC}/?class={code}"
        expect(page.get_by_test_id("stCode").first).to_contain_text(link)
        assert qr_modules(page) == modules(qr_svg(link))
        assert page.get_by_test_id("stAlert").filter(has_text="Phones cannot open this link").count() == 0


def test_a_reload_keeps_the_teachers_class_until_they_stop_leading(browser: Browser, tmp_path) -> None:
    with fresh_server(tmp_path) as url:
        page = new_page(browser, f"{url}/class_session")
        code = start_class(page)
        kept = next(c for c in page.context.cookies() if c["name"] == "pipeline_trace_teacher")
        assert kept["sameSite"] == "Strict" and kept["value"].startswith(f"{code}:")
        secret = kept["value"].split(":", 1)[1]
        assert secret not in page.url and secret not in page.get_by_test_id("stMain").inner_text()
        page.reload()
        page.wait_for_selector(IDLE)
        expect(page.get_by_text(f"Class code {code}", exact=True)).to_be_visible()  # no typing: the class is back
        assert page.get_by_role("button", name="Start a class").count() == 0
        page.get_by_text("Manage the class").click()
        page.get_by_role("button", name="Stop leading on this device").click()
        settle(page)
        expect(page.get_by_role("button", name="Start a class")).to_be_visible()  # on a busy machine: after the rerun
        page.wait_for_function("() => !document.cookie.includes('pipeline_trace_teacher=')")  # and its script
        page.reload()
        page.wait_for_selector(IDLE)
        expect(page.get_by_role("button", name="Start a class")).to_be_visible()


def test_a_class_link_to_any_page_opens_the_join_dialog_as_a_fresh_servers_first_request(browser: Browser,
                                                                                          tmp_path) -> None:
    with fresh_server(tmp_path) as url:
        engine = store.open_engine(f"sqlite:///{tmp_path / store.DB_FILE}")
        code = service.start_class(engine, "sequence-classification")[0].code
        page = new_page(browser, f"{url}/class_session?class={code}", {"width": 390, "height": 844})
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text("Join the class")
        dialog.get_by_label("Your name").fill("x" * 10_000)  # pasted: kept, and told what is wrong with it
        dialog.get_by_label("Your name").press("Enter")
        settle(page)
        dialog.get_by_role("button", name="Join", exact=True).click()
        expect(dialog).to_contain_text("display name must be at most 40 characters, got 10000")
        dialog.get_by_label("Your name").fill("Ana")
        dialog.get_by_label("Your name").press("Enter")
        settle(page)
        dialog.get_by_role("button", name="Join", exact=True).click()
        # On the Prediction page (a fresh server trains the lesson's model for its first visit):
        expect(page.get_by_text(re.compile(r"^Stage 1 of \d+$"))).to_be_visible(timeout=120_000)
        settle(page)
        for viewport, lines in (({"width": 1280, "height": 720}, 1), ({"width": 390, "height": 844}, 2)):
            page.set_viewport_size(viewport)
            page.wait_for_timeout(300)
            bar = page.locator(".st-key-class-bar").bounding_box()
            assert bar is not None and bar["height"] < 50 * lines, (viewport, bar)  # one line (a phone: two)
        engine.dispose()
