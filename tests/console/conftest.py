"""The console on the local runtime, driven by a real headless Chromium (Debian's package) through Playwright.

One local cloud, one console and one browser per test module (each costs seconds); each test keeps to its own
business keys. Every request the browser makes goes through `Requests`, which records its URL and lets through only
loopback ones: a request for anywhere else is refused before it leaves the machine, and the test that checks the
recording fails on it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from orchestrator.cli.base import app_breakers
from orchestrator.console import Console
from orchestrator.control import ControlPlane
from orchestrator.control.redacted import RedactedPlane
from tests.control.conftest import cloud  # noqa: F401 - the module's local cloud, as the control tests have it

CHROMIUM = "/usr/bin/chromium"  # Debian's package: `make test` installs it when missing (`make chromium`)
# Headless, and nothing of Chromium's own that would try the network (updates, sync, QUIC probes, field trials).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"  # gitignored: screenshots
POLL_SECONDS = 0.3  # the live regions' period here: a change shows within a few tenths of a second


@dataclass
class Requests:
    """Every URL the browser asked for, in order; and those refused for not being on this machine."""

    urls: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def route(self, route: Any) -> None:
        url = route.request.url
        self.urls.append(url)
        if urlsplit(url).hostname in LOOPBACK:
            route.continue_()
        else:
            self.refused.append(url)
            route.abort()


@dataclass
class Browser:
    context: Any
    requests: Requests
    base: str
    console: Console

    def open(self, path: str) -> Any:
        page = self.context.new_page()
        page.goto(self.base + path)
        return page


@pytest.fixture(scope="module")
def console(cloud: Any) -> Iterator[Console]:  # noqa: F811 - the imported fixture, by its name
    """The console over the module's local cloud, actions allowed, as `orch local up --console` serves it."""
    plane = ControlPlane.connect(breakers=app_breakers())
    served = Console(RedactedPlane(plane), port=0, allow_actions=True, poll_seconds=POLL_SECONDS)
    served.start()
    yield served
    served.stop()


@pytest.fixture(scope="module")
def browser(console: Console, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    executable = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if executable is None:
        pytest.fail(
            f"no chromium on PATH nor at {CHROMIUM}: `make chromium` installs Debian's package (make test does)"
        )
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    requests = Requests()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh profile: nothing of another run
            executable_path=executable,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        context.set_default_timeout(15_000)
        context.route("**/*", requests.route)
        try:
            yield Browser(context, requests, console.url, console)
        finally:
            context.close()


def screenshot(page: Any, name: str) -> None:
    """The page as the test left it, kept as an artifact (test-artifacts/console/NAME.png)."""
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
