"""The side panel warns under an identity tied to the customer only by an email claimed in chat."""

from __future__ import annotations

from datetime import UTC

from rich.cells import cell_len

from omnitui.channels.base import Inbound
from omnitui.core.ingest import ingest
from omnitui.store import queries
from omnitui.store.db import Store
from omnitui.tui.app import OmniConsole
from omnitui.tui.widgets.side_panel import PANEL_TEXT_WIDTH, side_text

from .helpers import EMMA, KASIA, open_conv
from .screen_text import screen_text

WARNING = ["  ⚠ unverified: linked by", "  an email given in chat"]


def panel_lines(store: Store, conversation_id: int) -> list[str]:
    detail = queries.conversation_detail(store, conversation_id)
    return side_text(detail, [], UTC).plain.splitlines()


def known_mail_customer(store: Store) -> int:
    return ingest(store, Inbound(channel="mail", kind="email", external_id="m1",
                                 address="olga@example.org", text="by mail")).customer_id


def test_warning_sits_under_the_chat_identity_and_fits(store: Store) -> None:
    known_mail_customer(store)
    visitor = ingest(store, Inbound(channel="chat", kind="chat", external_id="v1:1", address="v1",
                                    text="hi", link_email="olga@example.org"))
    lines = panel_lines(store, visitor.conversation_id)
    at = lines.index("◉ v1 (chat)")
    assert lines[at + 1:at + 3] == WARNING
    assert lines.count(WARNING[0]) == 1  # not under the email identity
    assert all(cell_len(line) <= PANEL_TEXT_WIDTH for line in WARNING)


def test_deep_link_shows_no_warning(store: Store) -> None:
    known = known_mail_customer(store)
    store.conn.execute("UPDATE customer SET link_token = 'tok' WHERE id = ?", (known,))
    tg = ingest(store, Inbound(channel="bot", kind="telegram", external_id="u1", address="111",
                               text="/start tok", link_token="tok"))
    assert tg.customer_id == known
    assert not any("unverified" in line for line in panel_lines(store, tg.conversation_id))


async def test_console_shows_the_warning_for_the_demo_customer(console: OmniConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await open_conv(pilot, EMMA)  # her Telegram account claimed her email address
        text = screen_text(console)
        assert "unverified: linked by" in text and "an email given in chat" in text
        await open_conv(pilot, KASIA)
        assert "unverified" not in screen_text(console)


async def test_composer_says_when_the_reply_goes_to_an_unverified_identity(
        console: OmniConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        screen = await open_conv(pilot, EMMA)
        identities = screen.detail.identities if screen.detail else ()
        unverified = [n for n, i in enumerate(identities) if i["linked_via"] == "email"]
        assert unverified, "the demo's Emma has a Telegram identity linked by a claimed email"
        label = screen.query_one("#composer-label")
        # by default the reply goes where she wrote last: Telegram, the unverified side
        assert "Telegram Emma Johnson (bot)  ⚠ unverified" in str(label.render())
        await pilot.press("r")  # into the reply box, where ctrl+n switches the identity
        verified = next(n for n, i in enumerate(identities) if i["linked_via"] is None)
        for _ in range(verified + 1):
            await pilot.press("ctrl+n")
        assert screen.chosen_identity() == identities[verified]
        assert "unverified" not in str(label.render())
        while screen.chosen_identity() != identities[unverified[0]]:
            await pilot.press("ctrl+n")
        assert "⚠ unverified" in str(label.render())
