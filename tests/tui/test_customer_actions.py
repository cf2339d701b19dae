"""Every CLI agent action in the console: unmerge and the Telegram deep link (dialogs, keys,
palette), and a customer's rating shown on the conversation and in its timeline."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from omnitui.channels.base import Inbound
from omnitui.config import Settings, TelegramSettings
from omnitui.core import actions
from omnitui.core.agents import get_agent
from omnitui.core.csat import mark_csat_requested, take_rating
from omnitui.core.ingest import ingest
from omnitui.core.merge import merge_customers
from omnitui.tui import keymap
from omnitui.tui.app import OmniConsole, make_app
from omnitui.tui.dialogs.telegram_link import TelegramLinkDialog
from omnitui.tui.dialogs.unmerge import UnmergeDialog
from omnitui.tui.screens.conversation import ConversationScreen

from .helpers import EMMA, KASIA, LIAM, NOAH, SOFIA, one, open_conv, type_text
from .screen_text import screen_text


def customer_of(app: OmniConsole, conversation_id: int) -> int:
    return int(one(app, "SELECT customer_id FROM conversation WHERE id = ?", conversation_id)[0])


def toasts(app: OmniConsole) -> list[str]:
    return [str(n.message) for n in app._notifications]


def test_every_cli_agent_action_has_a_console_key_in_the_palette() -> None:
    """`customer unmerge` and `customer link` were CLI-only; the palette offers both now."""
    actions_by_id = {s.id: s for s in keymap.REGISTRY if s.palette}
    for binding_id in ("conversation.reply", "conversation.note", "conversation.transfer",
                       "conversation.assign", "conversation.resolve", "conversation.reopen",
                       "conversation.pending", "conversation.snooze", "conversation.label",
                       "conversation.call", "conversation.merge", "conversation.unmerge",
                       "conversation.link", "app.search"):
        assert binding_id in actions_by_id, binding_id
        assert hasattr(ConversationScreen, f"action_{actions_by_id[binding_id].action}") or \
            binding_id.startswith("app.")


async def test_unmerge_splits_the_customer_off_again(console: OmniConsole) -> None:
    anna = get_agent(console.store, "anna")
    noah, liam = customer_of(console, NOAH), customer_of(console, LIAM)
    merge_customers(console.store, noah, liam, anna)
    async with console.run_test(size=(80, 24)) as pilot:
        screen = await open_conv(pilot, NOAH)
        assert "Ireland" in screen.timeline.plain()  # Liam's history is Noah's now
        await pilot.press("M")
        await pilot.pause()
        assert isinstance(console.screen, UnmergeDialog)
        text = screen_text(console)
        assert "Liam O'Brien" in text and "identities that go back: chat:visitor-liam" in text
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(console.screen, ConversationScreen)
        assert one(console, "SELECT merged_into FROM customer WHERE id = ?", liam) == (None,)
        assert customer_of(console, LIAM) == liam
        assert "Ireland" not in screen.timeline.plain()
        assert any("Liam O'Brien is a customer of their own again." in t
                   for t in toasts(console))


async def test_unmerge_with_nobody_merged_says_so(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, KASIA)
        await pilot.press("M")
        await pilot.pause()
        assert isinstance(console.screen, ConversationScreen)
        assert "Nobody was merged into this customer." in toasts(console)


async def test_unmerge_from_the_command_palette(console: OmniConsole) -> None:
    anna = get_agent(console.store, "anna")
    merge_customers(console.store, customer_of(console, NOAH), customer_of(console, LIAM), anna)
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, NOAH)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "Unmerge")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(console.screen, UnmergeDialog)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(console.screen, ConversationScreen)
        assert one(console, "SELECT count(*) FROM customer_merge WHERE undone_at IS NULL") == (1,)


def with_bot(shop: Settings) -> Settings:
    bot = TelegramSettings(kind="telegram", token_env="SHOP_BOT_TOKEN", bot_username="shop_bot")
    return dataclasses.replace(shop, channels={**shop.channels, "bot": bot})


async def test_telegram_link_goes_into_the_reply(shop: Settings,
                                                 fixed_clock: Callable[[], float]) -> None:
    app = make_app(with_bot(shop), "anna", clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_conv(pilot, KASIA)
        await pilot.press("L")
        await pilot.pause()
        assert isinstance(app.screen, TelegramLinkDialog)
        token = one(app, "SELECT link_token FROM customer WHERE id = ?", customer_of(app, KASIA))[0]
        url = f"https://t.me/shop_bot?start={token}"
        assert app.screen.url == url and url in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen and screen.composing
        assert screen.composer.text == url
        assert one(app, "SELECT actor FROM event WHERE kind = 'link_token'") == ("anna",)


async def test_telegram_link_without_a_bot_name_is_one_sentence(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, KASIA)
        await pilot.press("L")
        await pilot.pause()
        assert isinstance(console.screen, ConversationScreen)
        assert ("Set bot_username in the Telegram channel's config to make deep links."
                in toasts(console))


async def test_chat_rating_shows_in_title_panel_and_timeline(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:  # the demo's Liam rated 5: quick!
        screen = await open_conv(pilot, LIAM)
        text = screen_text(console)
        assert "★ 5/5" in text.splitlines()[0]
        assert "★ rated 5/5" in text
        assert "★ Liam O'Brien rated 5 by chat: quick!" in screen.timeline.plain()


async def test_email_rating_is_a_rating_not_customer_resolved(console: OmniConsole) -> None:
    store = console.store
    anna = get_agent(store, "anna")
    actions.resolve(store, SOFIA, anna)
    request = actions.reply(store, SOFIA, "How did we do? Reply with one digit.", anna)
    mark_csat_requested(store, SOFIA, "mail", message_id=request.message_id)
    wire = "<rating-request@shop.example>"  # as the hub's email channel would have sent it
    store.conn.execute("UPDATE message SET wire_id = ? WHERE id = ?", (wire, request.message_id))
    reply = ingest(store, Inbound(channel="mail", kind="email", external_id="rating-1",
                                  address="sofia.rossi@example.org", text="5 - quick!",
                                  thread_refs=(wire,)))
    assert reply.conversation_id == SOFIA
    assert take_rating(store, reply.message_id) == 5
    async with console.run_test(size=(120, 40)) as pilot:
        screen = await open_conv(pilot, SOFIA)
        timeline = screen.timeline.plain()
        assert "★ Sofia Rossi rated 5 by email: quick!" in timeline
        assert "customer resolved" not in timeline and "resolved  " in timeline  # Anna's
        assert "resolved  ★ 5/5" in screen_text(console).splitlines()[0]


async def test_rating_arrives_while_the_conversation_is_open(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        screen = await open_conv(pilot, EMMA)
        assert "★" not in screen_text(console).splitlines()[0]
        actions.record_rating(console.store, EMMA, 2, "slow", actor="customer:100200500")
        for _ in range(40):  # the change feed redraws it, no key pressed
            await pilot.pause(0.05)
            if "★" in screen_text(console).splitlines()[0]:
                break
        assert "★ 2/5" in screen_text(console).splitlines()[0]
        assert "rated 2 by Telegram: slow" in screen.timeline.plain()


async def test_a_rating_comment_is_text_not_markup(console: OmniConsole) -> None:
    actions.record_rating(console.store, KASIA, 1, "[@click=app.quit]bad[/] \x1b[2J\u202eevil",
                          actor="customer:visitor-kasia")
    async with console.run_test(size=(120, 40)) as pilot:
        screen = await open_conv(pilot, KASIA)
        await pilot.click("#timeline")
        line = next(x for x in screen.timeline.plain().splitlines() if "rated 1" in x)
        assert "rated 1 by chat: [@click=app.quit]bad[/]" in line
        assert "\x1b" not in line and "\u202e" not in line
        assert console.is_running
