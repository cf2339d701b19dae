"""Inbox: lazy pages, navigation, views, opening a conversation, live updates."""

from __future__ import annotations

from omnitui.channels.base import Inbound
from omnitui.core.ingest import ingest, ingest_batch
from omnitui.tui.app import OmniConsole
from omnitui.tui.screens.conversation import ConversationScreen
from omnitui.tui.widgets.inbox_list import MAX_PAGES, InboxList

from .helpers import KASIA
from .screen_text import screen_text


async def test_views_and_navigation(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        inbox = console.screen.query_one(InboxList)
        assert inbox.view.scope == "needs_reply"  # the default view: the work
        assert inbox.count == 4  # Emma, Ahmed, Mallory (nobody's) and Katarzyna (Anna's) wait
        assert inbox.reads == 1  # start-up reads the first page once
        await pilot.press("2")
        assert inbox.count == 3  # Katarzyna, Noah, Sofia are Anna's
        await pilot.press("4")
        assert inbox.count == 7  # every active conversation, hostile one included
        await pilot.press("3")
        assert inbox.view.scope == "unassigned"
        await pilot.press("4", "j", "j", "down", "k")
        assert inbox.cursor == 2
        await pilot.press("G")
        assert inbox.cursor == inbox.count - 1
        await pilot.press("g")
        assert inbox.cursor == 0
        expected = inbox.selected_id
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(console.screen, ConversationScreen)
        assert console.screen.conversation_id == expected
        reads = inbox.reads
        await pilot.press("escape")
        await pilot.pause()
        assert console.screen.query_one(InboxList) is inbox
        assert inbox.reads > reads  # back from a conversation: re-read what changed there


async def test_view_picker_channel_and_label(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("v")
        await pilot.pause()
        # Needs reply, Mine, Unassigned, All, Unread, Waiting on the customer, Snoozed,
        # Resolved, Failed deliveries, Channel bot, chat, mail, Label …
        await pilot.press(*["down"] * 9, "enter")
        await pilot.pause()
        inbox = console.screen.query_one(InboxList)
        assert inbox.view.channel == "bot"
        assert "Inbox: Channel bot" in screen_text(console)
        rows = [inbox.row_at(i) for i in range(inbox.count)]
        assert rows and all(r is not None and r.channel == "bot" for r in rows)


async def test_only_visible_pages_are_read(console: OmniConsole) -> None:
    batch = [Inbound(channel="chat", kind="chat", external_id=f"bulk-{n}",
                     address=f"visitor-bulk-{n}", display_name=f"Bulk {n}", text="hi")
             for n in range(1500)]
    ingest_batch(console.store, batch)
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        inbox = console.screen.query_one(InboxList)
        await pilot.press("4")
        assert inbox.count > 1500
        start = inbox.reads
        await pilot.press("end")
        await pilot.pause()
        assert inbox.cursor == inbox.count - 1
        assert inbox.reads - start <= 2  # the last page or two, not the 24 in between
        for _ in range(40):
            await pilot.press("pageup")
        assert len(inbox._pages) <= MAX_PAGES
        assert inbox.cursor == inbox.count - 1 - 40 * (inbox.size.height - 1)


async def test_live_message_updates_inbox_and_toasts(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        inbox = console.screen.query_one(InboxList)
        before = inbox.count
        ingest(console.store, Inbound(channel="chat", kind="chat", external_id="live-1",
                                      address="visitor-kasia", text="Hello? Any news?"))
        ingest(console.store, Inbound(channel="chat", kind="chat", external_id="live-2",
                                      address="visitor-new", display_name="Zoe Newcomer",
                                      text="First time here"))
        await pilot.pause(0.2)
        assert "Hello? Any news?" in screen_text(console)  # no key pressed
        assert "Zoe Newcomer" in screen_text(console)  # waits, nobody has it: needs reply
        assert inbox.count == before + 1
        await pilot.press("4")
        assert inbox.count == 8  # 'all' view, plus the new customer
        toasts = [n.message for n in console._notifications]
        assert any(f"#{KASIA}" in m for m in toasts)  # a customer of mine wrote
        assert any("Zoe Newcomer wrote" in m and "nobody has it" in m for m in toasts)
