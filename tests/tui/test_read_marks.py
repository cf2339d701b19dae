"""A conversation is marked read a moment after its messages are drawn, and also when the agent
leaves it before that moment: a quick look (enter, escape) is a look."""

from __future__ import annotations

import pytest

from omnitui.tui.app import OmniConsole
from omnitui.tui.screens import conversation
from omnitui.tui.screens.inbox import InboxScreen

from .helpers import EMMA, open_conv


def read_upto(app: OmniConsole, conversation_id: int) -> int | None:
    row = app.store.conn.execute(
        "SELECT last_read_message_id FROM conversation_read WHERE conversation_id = ? "
        "AND agent_id = ?", (conversation_id, app.agent.id)).fetchone()
    return None if row is None else int(row[0])


def newest(app: OmniConsole, conversation_id: int) -> int:
    return int(app.store.conn.execute("SELECT max(id) FROM message WHERE conversation_id = ?",
                                      (conversation_id,)).fetchone()[0])


async def test_a_quick_look_marks_the_conversation_read(
        console: OmniConsole, monkeypatch: pytest.MonkeyPatch) -> None:
    # The mark's moment made long: the escape below comes before it however slow the machine.
    monkeypatch.setattr(conversation, "MARK_READ_DELAY", 30.0)
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert read_upto(console, EMMA) != newest(console, EMMA)  # unread in the demo shop
        screen = await open_conv(pilot, EMMA)
        assert screen._read_timer is not None  # the mark waits for its moment
        await pilot.press("escape")  # gone before it
        await pilot.pause()
        assert isinstance(console.screen, InboxScreen)
        assert read_upto(console, EMMA) == newest(console, EMMA)
        assert screen._read_timer is None  # nothing left to fire (or to keep the screen alive)


async def test_staying_marks_it_read_once(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = await open_conv(pilot, EMMA)
        await pilot.pause(0.6)  # past the mark's moment (0.2–0.4 s)
        assert screen._read_timer is None
        assert read_upto(console, EMMA) == newest(console, EMMA)
        reads = console.store.conn.execute("SELECT count(*) FROM event WHERE kind = 'read' AND "
                                           "conversation_id = ?", (EMMA,)).fetchone()[0]
        await pilot.press("escape")
        await pilot.pause()
        assert console.store.conn.execute(
            "SELECT count(*) FROM event WHERE kind = 'read' AND conversation_id = ?",
            (EMMA,)).fetchone()[0] == reads  # leaving wrote no second mark
