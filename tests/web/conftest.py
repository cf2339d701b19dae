"""Real-browser fixtures for the website chat widget: Debian's Chromium driven by Playwright, a
real hub (`omnitui serve` in a child process) with the web gateway on 127.0.0.1, and a shop's
page served from another port (its origin is the one the gateway allows).

One browser per test module (launching costs a second); every test opens its own context, so
each visitor starts with empty storage. Playwright's `launch` gives each browser a fresh
profile directory of its own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from omnitui.core.agents import add_agent
from omnitui.store.database import Database
from omnitui.store.db import Store

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
CONSENT = "I agree that the shop keeps this chat to answer me."
AGENT, AGENT_NAME = "ann", "Ann Kowalska"

# A hub whose rating request leaves half a second after a resolve instead of ten.
QUICK_HUB = ("import sys, omnitui.core.undo as undo; undo.UNDO_WINDOW = 0.5; "
             "from omnitui.cli import main; sys.argv = ['omnitui', 'serve']; main()")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- the shop's page ---------------------------------------------------------------------


class PageServer:
    """Serves the shop's page: `/` under a strict Content-Security-Policy that allows only the
    gateway, `/plain` with no CSP at all (so a widget bug that ran markup would show)."""

    def __init__(self, gateway: str, port: int | None = None) -> None:
        self.gateway = gateway
        self.port = port or free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                if path not in ("/", "/plain"):
                    self.send_error(404)
                    return
                attrs = " ".join(f'data-{k}="{html.escape(v)}"' for k, v in
                                 urllib.parse.parse_qsl(query))
                body = server.html(attrs).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                if path == "/":
                    self.send_header("Content-Security-Policy", server.csp())
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def csp(self) -> str:
        ws = self.gateway.replace("http://", "ws://")
        return (f"default-src 'none'; script-src {self.gateway}; style-src {self.gateway}; "
                f"connect-src {self.gateway} {ws}; img-src 'none'; base-uri 'none'; "
                "form-action 'none'; frame-ancestors 'none'; require-trusted-types-for 'script'")

    def html(self, attrs: str) -> str:
        return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<title>A shop</title></head><body><h1>A shop</h1><p>Shoes and more.</p>"
                f"<script src=\"{self.gateway}/chat/static/widget.js\" {attrs}></script>"
                "</body></html>")

    def url(self, path: str = "/", **data: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in data.items())
        return f"{self.origin}{path}" + (f"?{query}" if query else "")

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --- the hub -----------------------------------------------------------------------------


def toml_value(value: Any) -> str:
    """A TOML value: JSON spells strings, numbers, booleans and arrays the same way."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


class Shop:
    """A data dir, a config allowing the page's origin, an agent, and `omnitui serve`."""

    def __init__(self, *, closed_now: bool = False, database_url: str | None = None,
                 **chat: Any) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="ow-", dir="/tmp"))
        # The shop outlives each test (one per module), so on PostgreSQL it has a database of
        # its own for the module, not the one each test gets and drops.
        self.database_url = database_url
        self.port = free_port()
        self.gateway = f"http://127.0.0.1:{self.port}"
        self.page = PageServer(self.gateway)
        self.config = self.root / "config.toml"
        table = {"kind": "chat", "web": f"127.0.0.1:{self.port}",
                 "web_origins": [self.page.origin], "web_consent_text": CONSENT,
                 "web_address_limit": 10_000, **chat}
        lines = ["[omnitui]", f'data_dir = "{self.root / "data"}"', 'timezone = "UTC"',
                 "[channels.chat]"]
        lines += [f"{k} = {toml_value(v)}" for k, v in table.items()]
        if closed_now:  # every day open, but today (and its neighbours) a holiday
            today = dt.datetime.now(dt.UTC).date()
            days = [str(today + dt.timedelta(days=d)) for d in (-1, 0, 1)]
            lines += ["[hours]", 'mon-fri = "09:00-18:00"', 'sat = "09:00-18:00"',
                      'sun = "09:00-18:00"', f"holidays = {json.dumps(days)}"]
        self.config.write_text("\n".join(lines) + "\n")
        self.env = {**os.environ, "OMNITUI_CONFIG": str(self.config), "OMNITUI_AGENT": AGENT}
        self.env.pop("OMNITUI_DATABASE", None)
        if database_url:
            self.env["OMNITUI_DATABASE"] = database_url
        self.proc: subprocess.Popen[bytes] | None = None
        (self.root / "data").mkdir(mode=0o700)
        store = Store.open(self.database)  # what `omnitui init` does, without a second process
        try:
            add_agent(store, AGENT, AGENT_NAME, role="admin")
        finally:
            store.close()

    @property
    def database(self) -> Database:
        """The store the shop's processes open (the test run's engine)."""
        if self.database_url:
            return Database.at(self.database_url)
        return Database.at(self.root / "data" / "omnitui.db")

    def cli(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "omnitui", *args], env=self.env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr or done.stdout
        return done.stdout

    def cli_json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json"))

    def start(self) -> Shop:
        return self.spawn().wait_ready()

    def spawn(self) -> Shop:
        self.proc = subprocess.Popen([sys.executable, "-c", QUICK_HUB], env=self.env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return self

    def wait_ready(self) -> Shop:
        assert self.proc is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise AssertionError(f"the hub exited {self.proc.returncode}: {err}")
            try:
                with urllib.request.urlopen(f"{self.gateway}/chat/config", timeout=1) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        raise AssertionError("the web gateway did not answer")

    def kill(self) -> None:
        """SIGKILL: the hub gets no chance to close anything cleanly."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    def close(self) -> None:
        self.stop()
        self.page.close()
        shutil.rmtree(self.root, ignore_errors=True)

    # --- what the store holds (read straight from the database) ----------------------------

    def query(self, sql: str, *args: Any) -> list[Any]:
        store = Store(self.database)
        try:
            return store.conn.execute(sql, args).fetchall()
        finally:
            store.close()

    def messages(self, visitor: str, kind: str = "inbound") -> list[Any]:
        """The visitor's messages of one kind (inbound, outbound), oldest first."""
        return self.query(
            "SELECT m.* FROM identity i JOIN message m ON m.identity_id = i.id "
            "WHERE i.kind = 'chat' AND i.address = ? AND m.kind = ? ORDER BY m.id",
            visitor, kind)

    def wait_inbound(self, visitor: str, count: int, timeout: float = 10) -> list[Any]:
        """The visitor's messages once at least `count` are stored."""
        deadline = time.monotonic() + timeout
        rows: list[Any] = []
        while time.monotonic() < deadline:
            rows = self.messages(visitor)
            if len(rows) >= count:
                return rows
            time.sleep(0.1)
        raise AssertionError(f"{count} messages of {visitor} not stored: "
                             f"{[r['text'] for r in rows]}")


# --- the browser -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (the README's test line)")
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
                                      headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def shop(request: pytest.FixtureRequest, pg_cluster: Any) -> Iterator[Shop]:
    name = pg_cluster.new_database() if pg_cluster is not None else None
    url = pg_cluster.url(name) if name else None
    try:
        running = Shop(database_url=url, **getattr(request.module, "SHOP", {})).spawn()
        try:
            request.getfixturevalue("browser")  # Chromium starts while the hub does
            yield running.wait_ready()
        finally:
            running.close()
    finally:
        if name:
            pg_cluster.drop_database(name)


class Visitor:
    """One visitor's tab, with everything the page did that a test may want to check."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        self.requests: list[str] = []
        self.sent_frames: list[dict[str, Any]] = []
        self.errors: list[str] = []  # uncaught exceptions in the page
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("websocket", self._socket)

    def _socket(self, ws: Any) -> None:
        def sent(payload: str | bytes) -> None:
            with contextlib.suppress(TypeError, ValueError):
                self.sent_frames.append(json.loads(payload))
        ws.on("framesent", sent)

    def csp_violations(self) -> list[str]:
        return [line for line in self.console if "Content Security Policy" in line]

    def storage(self) -> dict[str, Any]:
        return self.page.evaluate("() => Object.fromEntries(Object.entries(localStorage))")

    def state(self) -> dict[str, Any]:
        return json.loads(self.storage()["omnitui-chat"])

    def open_chat(self) -> None:
        self.page.locator(".oc-launcher").click()
        self.page.locator(".oc-panel").wait_for(state="visible")

    def start_chat(self, name: str = "Olga Petrova", email: str = "olga@example.org") -> None:
        self.open_chat()
        form = self.page.locator("form.oc-prechat")
        form.get_by_label("Your name").fill(name)
        form.get_by_label("Your email").fill(email)
        form.get_by_label(CONSENT).check()
        form.get_by_role("button", name="Start chat").click()
        self.page.locator(".oc-compose").wait_for(state="visible")

    def write(self, text: str) -> None:
        box = self.page.locator(".oc-text")
        box.fill(text)
        box.press("Enter")

    def wait_sent(self, count: int, timeout: float = 10_000) -> None:
        """`count` of the visitor's messages show "Sent" (each acked, so stored)."""
        self.page.locator(".oc-from-customer .oc-state-sent").nth(count - 1).wait_for(
            timeout=timeout)

    def bodies(self) -> list[str]:
        return self.page.locator(".oc-msg .oc-body").all_text_contents()


@pytest.fixture
def visitor(browser: Browser) -> Iterator[Visitor]:
    context = browser.new_context(locale="en-US")
    yield Visitor(context.new_page())
    context.close()
