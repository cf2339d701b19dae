"""The type-ahead gate on the inbox's arrow keys: a key routed to the inbox list is its own
settle mark (it comes back up to the app with its binding run), so no mark travels the queues
ahead of the frame; the keys typed after it still wait for it, and a key whose binding sets
something off (enter opens a conversation) still sends marks until that is on screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot

from omnitui.tui.app import OmniConsole
from omnitui.tui.screens.conversation import ConversationScreen
from omnitui.tui.typeahead import KeyGate, TypedText, keys_reach_app
from omnitui.tui.widgets.inbox_list import InboxList


def key(name: str, character: str | None = None) -> events.Key:
    return events.Key(name, character)


async def until(pilot: Pilot[None], done: Callable[[], bool], timeout: float = 15.0) -> None:
    """Let the console work until `done()` (a loaded machine draws slowly), at most `timeout`."""
    for _ in range(int(timeout / 0.05)):
        if done():
            return
        await pilot.pause(0.05)


@pytest.fixture
def marks(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every settle mark the gate sends, by target."""
    sent: list[Any] = []
    send = KeyGate._send_mark

    def counting(self: KeyGate, target: Any) -> None:
        sent.append(target)
        send(self, target)

    monkeypatch.setattr(KeyGate, "_send_mark", counting)
    return sent


async def test_arrows_send_no_mark_and_keep_their_order(console: OmniConsole,
                                                        marks: list[Any]) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        inbox = console.screen.query_one(InboxList)
        assert keys_reach_app(inbox)
        rows = [inbox.row_at(i) for i in range(inbox.count)]
        # (started: on a loaded machine the list's own start-up messages may still wait, and a
        # key returning past them rightly sends a mark)
        await until(pilot, console.key_gate._quiet)
        for _ in range(3):  # arrows typed at once, faster than the console draws
            console.post_message(key("down"))
        console.post_message(key("up"))
        await until(pilot, lambda: not console.key_gate.closed and not console.key_gate.held)
        await pilot.pause(0.1)
        assert inbox.cursor == 2
        assert marks == []  # each arrow was its own mark
        assert not console.key_gate.closed and not console.key_gate.held

        console.post_message(key("down"))  # then enter at once: it opens the row moved to
        console.post_message(key("enter", None))
        await until(pilot, lambda: isinstance(console.screen, ConversationScreen))
        screen = console.screen
        assert isinstance(screen, ConversationScreen)
        assert screen.conversation_id == rows[3].id  # type: ignore[union-attr]
        assert marks  # enter set something off: marks went down until it was on screen


async def test_letters_after_enter_wait_for_the_conversation(console: OmniConsole) -> None:
    """`j j enter` then `r` and text in one burst: the arrows move first, enter opens the row
    they reached, and `r` and the text reach the conversation (its reply box), not the inbox."""
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        inbox = console.screen.query_one(InboxList)
        target = inbox.row_at(2)
        console.post_message(TypedText([key("j", "j"), key("j", "j")]))
        console.post_message(key("enter", None))
        console.post_message(key("r", "r"))
        console.post_message(TypedText([key(c, c) for c in "hello"]))

        def typed() -> str:
            screen = console.screen
            if not isinstance(screen, ConversationScreen):
                return ""
            return str(getattr(screen.query("TextArea").first(), "text", "")) \
                if screen.query("TextArea") else ""

        await until(pilot, lambda: typed() == "hello")
        await pilot.pause(0.1)
        screen = console.screen
        assert isinstance(screen, ConversationScreen)
        assert screen.conversation_id == target.id  # type: ignore[union-attr]
        assert typed() == "hello"  # every letter, in the box, none taken as a command
        assert inbox.cursor == 2


async def test_a_key_that_never_comes_back_still_settles(console: OmniConsole,
                                                         marks: list[Any]) -> None:
    """A key the app's priority bindings take (it is never forwarded) gets a mark as before,
    and a key the gate waits for that is lost on the way is settled by the watchdog's mark."""
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        inbox = console.screen.query_one(InboxList)
        gate = console.key_gate
        gate.close(inbox, key("down"))  # a key that will never arrive
        assert gate.closed and marks == []
        console.post_message(key("down"))  # held behind it
        # the watchdog (after 50 ms) sends a mark instead, and the gate opens
        await until(pilot, lambda: not gate.closed and not gate.held)
        await pilot.pause(0.1)
        assert marks and not gate.closed
        assert inbox.cursor == 1
