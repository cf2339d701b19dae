"""The pager model: letters are commands only while the reply box is visibly closed; once open it
takes every letter until it is sent or closed; after sending, letters are commands again."""

from __future__ import annotations

import time

from omnitui.core import actions
from omnitui.core.agents import get_agent
from omnitui.store.console_queries import TYPING_MAX_AGE
from omnitui.tui.app import OmniConsole
from omnitui.tui.dialogs.confirm import ConfirmDialog
from omnitui.tui.screens.conversation import ConversationScreen

from .helpers import EMMA, KASIA, NOAH, SOFIA, one, open_conv, type_text
from .screen_text import screen_text


def durable_state(app: OmniConsole) -> list[tuple]:
    """Everything an agent's keys could change for good (presence and read marks aside)."""
    conn = app.store.conn
    return [
        *conn.execute("SELECT id, status, assignee_id, snoozed_until FROM conversation"),
        *conn.execute("SELECT count(*), max(id) FROM message"),
        *conn.execute("SELECT count(*) FROM outbox"),
        *conn.execute("SELECT * FROM conversation_label ORDER BY 1, 2"),
        *conn.execute("SELECT count(*) FROM event WHERE kind NOT IN ('presence', 'read')"),
    ]


async def test_the_box_is_closed_until_r_and_closes_after_sending(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        screen = await open_conv(pilot, EMMA)
        assert not screen.composer.display
        assert "r reply to Telegram Emma Johnson (bot)" in screen_text(console)
        await pilot.press("r")
        assert screen.composer.display and screen.composer.has_focus
        await type_text(pilot, "resolve? no: every letter is text here")
        assert screen.composer.text == "resolve? no: every letter is text here"
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert one(console, "SELECT count(*) FROM message WHERE text = ?",
                   "resolve? no: every letter is text here") == (1,)
        assert not screen.composer.display and screen.timeline.has_focus
        await pilot.press("r")  # a command again, not a letter in the box
        await pilot.pause()
        assert screen.composer.display and screen.composer.text == ""


async def test_escape_closes_the_box_and_keeps_the_draft(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        screen = await open_conv(pilot, KASIA)
        await pilot.press("r")
        await type_text(pilot, "Half a thought")
        await pilot.press("escape")
        await pilot.pause()
        assert not screen.composer.display
        assert "Draft kept (14 characters)" in screen_text(console)
        assert isinstance(console.screen, ConversationScreen)
        await pilot.press("r")
        await type_text(pilot, " more")
        assert screen.composer.text == "Half a thought more"


async def test_prose_typed_with_the_box_closed_changes_nothing(console: OmniConsole) -> None:
    prose = ("ok done. Thanks a lot Emma, please see the tracking page; a new parcel is on "
             "its way and should arrive by Monday. Best wishes, Anna")
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, EMMA)
        await pilot.pause(0.3)
        before = durable_state(console)
        await type_text(pilot, prose)
        await pilot.pause(0.3)
        assert isinstance(console.screen, ConfirmDialog)  # "o": the question, nothing more
        assert durable_state(console) == before
        await pilot.press("escape")
        await pilot.pause()
        assert durable_state(console) == before


async def test_a_change_can_be_undone_and_its_toast_says_how(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, SOFIA)
        await pilot.press("b")
        await pilot.pause()
        await type_text(pilot, "vip urgent")
        await pilot.press("enter")
        await pilot.pause()
        labels = (f"SELECT {console.store.sql.joined('l.name', ' ')} FROM conversation_label cl "
                  "JOIN label l ON l.id = cl.label_id WHERE cl.conversation_id = ?")
        assert one(console, labels, SOFIA) == ("urgent vip",) or \
            one(console, labels, SOFIA) == ("vip urgent",)
        assert any("ctrl+z: undo" in n.message for n in console._notifications)
        await pilot.press("ctrl+z")  # both labels of the one prompt go together
        await pilot.pause()
        assert one(console, labels, SOFIA) == (None,)
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert any("Nothing to undo" in n.message for n in console._notifications)


async def test_sending_asks_when_a_colleague_replied_since_the_box_opened(
        console: OmniConsole) -> None:
    ben = get_agent(console.store, "ben")
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, NOAH)
        await pilot.press("r")
        await type_text(pilot, "We refund you today")
        actions.reply(console.store, NOAH, "Refund is on its way", ben)
        await pilot.press("ctrl+j")
        await pilot.pause()
        dialog = console.screen
        assert isinstance(dialog, ConfirmDialog)
        assert "Ben Carter replied at" in dialog.message
        await pilot.press("n")
        await pilot.pause()
        assert one(console, "SELECT count(*) FROM message WHERE text = ?",
                   "We refund you today") == (0,)
        await pilot.press("ctrl+j", "y")
        await pilot.pause()
        assert one(console, "SELECT count(*) FROM message WHERE text = ?",
                   "We refund you today") == (1,)


async def test_sending_asks_when_a_colleague_started_writing(console: OmniConsole) -> None:
    ben = get_agent(console.store, "ben")
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, NOAH)
        await pilot.press("r")
        actions.set_presence(console.store, ben, NOAH, typing=True)
        await type_text(pilot, "Mine")
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert isinstance(console.screen, ConfirmDialog)
        assert "Ben Carter started writing a reply at" in console.screen.message


async def test_typing_marks_fade_and_clear(console: OmniConsole) -> None:
    ben = get_agent(console.store, "ben")
    anna_typing = ("SELECT p.typing FROM presence p JOIN agent a ON a.id = p.agent_id "
                   "WHERE a.username = 'anna'")
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, SOFIA)
        actions.set_presence(console.store, ben, SOFIA, typing=True)
        await pilot.pause(0.2)
        assert "Ben Carter typing" in screen_text(console)
        started = time.monotonic()  # ben's console stops saying anything (killed mid-word)
        while "Ben Carter typing" in screen_text(console):
            assert time.monotonic() - started < TYPING_MAX_AGE + 1.5
            await pilot.pause(0.2)
        assert "Ben Carter viewing" in screen_text(console)
        await pilot.press("r")
        await type_text(pilot, "x")
        assert one(console, anna_typing) == (1,)
        await pilot.press("escape")  # closing the box says so at once
        await pilot.pause()
        assert one(console, anna_typing) == (0,)


async def test_leaving_the_conversation_keeps_the_draft_for_the_next_visit(
        console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, KASIA)
        await pilot.press("r")
        await type_text(pilot, "Half a thought")
        await pilot.press("escape", "escape")  # the box, then the conversation
        await pilot.pause()
        assert not isinstance(console.screen, ConversationScreen)
        assert any("Draft of #" in n.message for n in console._notifications)
        await open_conv(pilot, EMMA)  # another conversation's box is its own
        await pilot.press("r")
        assert console.screen.composer.text == ""
        await pilot.press("escape", "escape")
        screen = await open_conv(pilot, KASIA)
        assert "Draft kept (14 characters)" in screen_text(console)
        await pilot.press("r")
        await type_text(pilot, ", and the rest")
        assert screen.composer.text == "Half a thought, and the rest"
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert one(console, "SELECT count(*) FROM message WHERE text = ?",
                   "Half a thought, and the rest") == (1,)
        assert console.drafts == {}
