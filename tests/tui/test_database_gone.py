"""The database goes away under a working console (a PostgreSQL restart, a network cut): the
console says so in a sentence, keeps what the agent typed, and goes on once it is back."""

from __future__ import annotations

import asyncio
import threading

import pytest

from omnitui.tui.app import OmniConsole
from omnitui.tui.screens.conversation import ConversationScreen
from omnitui.tui.screens.inbox import InboxScreen
from omnitui.tui.widgets.status_line import StatusLine
from tests.pg_cluster import Cluster

from .helpers import EMMA, open_conv, type_text
from .screen_text import screen_text

pytestmark = pytest.mark.usefixtures("pg_cluster")


def needs_server(pg_cluster: Cluster | None) -> Cluster:
    if pg_cluster is None:
        pytest.skip("a server that goes away: PostgreSQL only (a SQLite file does not)")
    return pg_cluster


async def server_down(cluster: Cluster, seconds: float) -> threading.Thread:
    """The server stopped for `seconds`, then started again by the returned thread (join it)."""
    down = threading.Thread(target=cluster.restart, kwargs={"down_for": seconds})
    down.start()
    while (cluster.root / "data" / "postmaster.pid").exists():
        await asyncio.sleep(0.05)
    return down


async def test_a_restart_under_the_inbox_and_a_conversation(console: OmniConsole,
                                                            pg_cluster: Cluster | None) -> None:
    cluster = needs_server(pg_cluster)
    async with console.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        cluster.restart(down_for=0.2)
        await pilot.press("enter")  # the first read after the cut learns of it
        await pilot.pause(0.5)
        if not isinstance(console.screen, ConversationScreen):
            await pilot.press("enter")
            await pilot.pause(0.5)
        assert isinstance(console.screen, ConversationScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(console.screen, InboxScreen)


async def test_a_reply_sent_while_the_server_is_down_is_kept(console: OmniConsole,
                                                              pg_cluster: Cluster | None) -> None:
    cluster = needs_server(pg_cluster)
    async with console.run_test(size=(100, 30)) as pilot:
        screen = await open_conv(pilot, EMMA)
        await pilot.press("r")
        await type_text(pilot, "Your parcel left today")
        cluster.restart(down_for=0.2)
        await pilot.press("ctrl+j")
        await pilot.pause(0.5)
        assert console.is_running and console.screen is screen
        sent = console.store.conn.execute(
            "SELECT count(*) FROM message WHERE text = ?", ("Your parcel left today",)
        ).fetchone()[0]
        if not sent:  # refused in a sentence, the text still in the box to send again
            assert screen.composer.text == "Your parcel left today"
            await pilot.press("ctrl+j")
            await pilot.pause(0.5)
        assert console.store.conn.execute(
            "SELECT count(*) FROM message WHERE text = ?", ("Your parcel left today",)
        ).fetchone()[0] == 1


async def test_a_server_down_for_a_while_is_said_and_nothing_typed_is_lost(
        console: OmniConsole, pg_cluster: Cluster | None) -> None:
    """Keys while the server is down: a sentence naming it, the screens as last read, the
    reply still in its box; once the server is back, the same keys work."""
    cluster = needs_server(pg_cluster)
    async with console.run_test(size=(100, 30)) as pilot:
        screen = await open_conv(pilot, EMMA)
        await pilot.press("r")
        await type_text(pilot, "Back tomorrow")
        down = await server_down(cluster, 10.0)  # (long enough for a loaded machine's keys)
        try:
            await pilot.press("ctrl+j")  # refused: not sent, the text kept
            await pilot.pause(0.3)
            assert screen.composer.text == "Back tomorrow"
            said = [n.message for n in console._notifications]
            assert any("is not answering" in m or "Cannot open the database" in m
                       for m in said), said
            await pilot.press("escape", "escape")  # the box, then the conversation
            await pilot.pause(0.3)
            assert isinstance(console.screen, InboxScreen)  # its counts as last read
            assert console.is_running
            console.screen.query_one(StatusLine).update_status()  # (its timer, sooner)
            await pilot.pause()
            assert "database not answering" in screen_text(console)
            await pilot.press("down", "up", "enter")  # drawn as last read, opened, or said
            await pilot.pause(0.3)
            assert console.is_running
        finally:
            down.join(30)
        await pilot.pause(0.5)
        if not isinstance(console.screen, ConversationScreen):
            await pilot.press("enter")
            await pilot.pause(0.5)
        assert isinstance(console.screen, ConversationScreen)
        screen = console.screen
        await pilot.press("r")
        await pilot.pause()
        assert screen.composer.text == "Back tomorrow"  # the draft came back with the box
        await pilot.press("ctrl+j")
        await pilot.pause(0.5)
        assert console.store.conn.execute(
            "SELECT count(*) FROM message WHERE text = ?", ("Back tomorrow",)).fetchone()[0] == 1


async def test_a_note_the_server_did_not_take_comes_back_to_its_box(
        console: OmniConsole, pg_cluster: Cluster | None) -> None:
    from omnitui.tui.dialogs.text_prompt import TextPrompt

    cluster = needs_server(pg_cluster)
    async with console.run_test(size=(100, 30)) as pilot:
        await open_conv(pilot, EMMA)
        await pilot.press("n")
        await pilot.pause()
        await type_text(pilot, "Called her back")
        down = await server_down(cluster, 3.0)
        try:
            await pilot.press("ctrl+j")
            await pilot.pause(0.3)
            prompt = console.screen
            assert isinstance(prompt, TextPrompt) and prompt.value == "Called her back"
        finally:
            down.join(30)
        await pilot.press("ctrl+j")
        await pilot.pause(0.5)
        assert console.store.conn.execute(
            "SELECT count(*) FROM message WHERE kind = 'note' AND text = ?",
            ("Called her back",)).fetchone()[0] == 1
