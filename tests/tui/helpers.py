"""Small helpers shared by the console's pilot tests."""

from __future__ import annotations

from textual.pilot import Pilot

from omnitui.tui.app import OmniConsole
from omnitui.tui.screens.conversation import ConversationScreen

EMMA, DMITRY, KASIA, AHMED, LIAM, SOFIA, PIOTR, NOAH, MALLORY = range(1, 10)


async def open_conv(pilot: Pilot, conversation_id: int) -> ConversationScreen:
    app = pilot.app
    assert isinstance(app, OmniConsole)
    app.open_conversation(conversation_id)
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ConversationScreen)
    assert screen.conversation_id == conversation_id
    return screen


async def type_text(pilot: Pilot, text: str) -> None:
    """Type text key by key (spaces and punctuation included), like an agent would."""
    for ch in text:
        await pilot.press(ch if ch != " " else "space")


def one(app: OmniConsole, sql: str, *params: object) -> tuple:
    row = app.store.conn.execute(sql, params).fetchone()
    assert row is not None, sql
    return tuple(row)
