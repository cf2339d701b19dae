"""A console on another host than the hub, both talking only to PostgreSQL: the hub (`omnitui
serve`) and the console each have a data dir of their own, as two machines would. A chat
customer's message reaches the console with no key pressed, the console's reply leaves through
that hub, and the console never starts a hub of its own while that one runs."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from omnitui.channels.chat.client import ChatClient
from omnitui.config import load_settings
from omnitui.hub_lock import running_hub
from omnitui.store.db import Store

from .tmux import Tmux, console_command

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def host_config(root: Path) -> Path:
    """One host's config: its own data dir; the database comes from OMNITUI_DATABASE."""
    root.mkdir()
    path = root / "config.toml"
    path.write_text(f'[omnitui]\ndata_dir = "{root / "data"}"\ntimezone = "UTC"\n\n'
                    '[channels.chat]\nkind = "chat"\n', encoding="utf-8")
    return path


def omnitui(config: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "omnitui", *args], capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "OMNITUI_CONFIG": str(config)})
    assert done.returncode == 0, done.stderr


def desk_log(path: Path) -> str:
    """The console host's hub log: made when the console looked for a hub, never written by
    one, as the hub runs on the other host."""
    return path.read_text(encoding="utf-8") if path.exists() else ""


async def first_reply(client: ChatClient) -> dict[str, Any]:
    async for item in client.messages():
        if item.get("type") == "message":
            return item
    raise AssertionError("the hub closed the chat before any reply")


async def test_console_on_another_host_sees_the_hub_live_and_replies_through_it(
        tmux: Tmux, tmp_path: Path, backend_database: str | None) -> None:
    if backend_database is None:
        pytest.skip("a console on another host shares the store only on PostgreSQL")
    hub_config, console_config = host_config(tmp_path / "hub"), host_config(tmp_path / "desk")
    omnitui(hub_config, "init")
    omnitui(hub_config, "agent", "add", "anna", "--name", "Anna Nowak")
    hub_settings, desk_settings = load_settings(hub_config), load_settings(console_config)
    hub = subprocess.Popen([sys.executable, "-m", "omnitui", "serve"],
                           env={**os.environ, "OMNITUI_CONFIG": str(hub_config)},
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client: ChatClient | None = None
    try:
        socket = hub_settings.data_dir / "chat.sock"
        deadline = time.monotonic() + 60
        while not socket.exists():
            assert hub.poll() is None and time.monotonic() < deadline, "the hub never started"
            await asyncio.sleep(0.1)
        tmux.start(console_command(console_config, "anna"), width=100, height=30)
        await tmux.wait_for("Inbox: Needs reply", timeout=60)
        # The desk sees the hub, which runs elsewhere, and starts none of its own.
        seen = running_hub(desk_settings)
        assert seen is not None and seen.pid == hub.pid
        assert not (desk_settings.data_dir / "chat.sock").exists()
        assert "hub started" not in desk_log(desk_settings.log_path)

        client = await ChatClient.connect(socket)
        await client.hello("remote-visitor", name="Zofia Remote")
        await client.send("Czy paczka już wyszła?")
        await tmux.wait_for("Zofia Remote", timeout=20)  # live: no key pressed
        tmux.keys("g")
        tmux.keys("Space")
        await tmux.wait_for("r reply to", timeout=20)
        tmux.keys("r")
        await tmux.wait_for("ctrl+j", timeout=20)
        tmux.type("Tak, wysłana dziś rano.")
        tmux.keys("C-j")
        got = await asyncio.wait_for(first_reply(client), 30)
        assert got["text"].startswith("Tak, wysłana dziś rano.") and got["agent"] == "Anna Nowak"
        store = Store(hub_settings.database)
        try:  # the hub records the delivery just after the visitor has the reply
            deadline = time.monotonic() + 10
            while (sent := store.conn.execute(
                    "SELECT count(*) FROM message WHERE kind = 'outbound' AND "
                    "delivery_state IN ('sent', 'delivered')").fetchone()[0]) == 0:
                assert time.monotonic() < deadline, "the reply was never marked sent"
                await asyncio.sleep(0.05)
            assert sent == 1
        finally:
            store.close()
        assert "hub started" not in desk_log(desk_settings.log_path)
        assert running_hub(desk_settings).pid == hub.pid  # type: ignore[union-attr]
    finally:
        if client is not None:
            await client.close()
        tmux.kill()
        hub.terminate()
        try:
            hub.wait(15)
        except subprocess.TimeoutExpired:
            hub.kill()
            hub.wait(5)
