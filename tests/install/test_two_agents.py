"""Two agents, two Unix users, two terminals, one customer: neither answers blind.

On the README's server install with the service hub running, ann and ben each run the console in
their own tmux at 80×24. A chat customer writes; both open the conversation. ben's typing shows
in ann's title; ben sends first, so ann's send asks before a second answer goes out; ann's
terminal dies mid-word and her typing mark leaves ben's screen within seconds.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
import uuid
from collections.abc import Iterator

import pytest

from omnitui.channels.chat.client import ChatClient
from omnitui.store.console_queries import TYPING_MAX_AGE
from tests.install.test_server_install import start_service_hub, stop_service_hub
from tests.tui.tmux import Tmux
from tests.unix_users import ServerInstall, make_user, run_as

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


@pytest.fixture
def hub(server_install: ServerInstall) -> Iterator[None]:
    process = start_service_hub(server_install)
    try:
        yield
    finally:
        stop_service_hub(process)


def agent_console(install: ServerInstall, user: str) -> Tmux:
    tmux = Tmux(user=user, env=install.env())
    tmux.start(install.bin)
    return tmux


async def open_by_search(tmux: Tmux, words: str) -> None:
    await tmux.wait_for("Inbox", timeout=30)
    tmux.keys("/")
    tmux.type(words)
    tmux.keys("Enter")
    await tmux.wait_for("r reply", timeout=30)


def outbound_texts(install: ServerInstall, conversation: int) -> list[object]:
    return [r[0] for r in install.rows("SELECT text FROM message WHERE kind = 'outbound' "
                                       "AND conversation_id = ? ORDER BY id", (conversation,))]


async def test_two_agents_answer_one_customer(server_install: ServerInstall, hub: None) -> None:
    install = server_install
    ben = make_user("ben", groups=[install.group])
    done = run_as(install.service_user, [install.bin, "agent", "add", ben, "--name", "Ben"],
                  env=install.env())
    assert done.returncode == 0 or "already exists" in done.stderr, done.stderr
    order = f"order {uuid.uuid4().int % 100000:05d}"
    client = await ChatClient.connect(install.data_dir / "chat.sock")
    ann_tmux = agent_console(install, install.agent)
    ben_tmux = agent_console(install, ben)
    try:
        await client.hello(f"visitor-{order[6:]}", name="Greta Lind")
        await client.send(f"Where is my {order}?")
        await open_by_search(ann_tmux, order)
        await open_by_search(ben_tmux, order)
        pane = ann_tmux.pane()
        conversation = int(re.search(r"#(\d+) ", pane).group(1))  # type: ignore[union-attr]

        ann_tmux.keys("r")
        ann_tmux.type("Let me check that for you")
        await ben_tmux.wait_for("Ann typing…", timeout=10)
        ben_tmux.keys("r")  # (ben saw her typing before he began: his send need not ask)
        ben_tmux.type("It left today")
        await ann_tmux.wait_for("Ben typing…", timeout=10)
        ben_tmux.keys("C-j")
        await ben_tmux.wait_for("Reply queued", timeout=20)
        ann_tmux.keys("C-j")
        pane = await ann_tmux.wait_for("Send yours anyway?", timeout=20)
        assert "Ben replied at" in pane
        ann_tmux.keys("n")  # keep editing: the customer gets one answer
        await asyncio.sleep(1.0)
        assert outbound_texts(install, conversation) == ["It left today"]

        ann_tmux.type(", one moment")  # she goes on writing
        await ben_tmux.wait_for("Ann typing…", timeout=10)
        ann_tmux.kill()  # her terminal dies mid-word (SSH dropped)
        started = time.monotonic()
        while "Ann typing…" in ben_tmux.pane():
            assert time.monotonic() - started < TYPING_MAX_AGE + 2, ben_tmux.pane()
            await asyncio.sleep(0.2)
        assert "Traceback" not in ben_tmux.pane()
    finally:
        await client.close()
        ann_tmux.kill()
        ben_tmux.kill()
