"""A new conversation from the console (`C`) and what the reply box says before sending: where
it goes, the signature (editable for this reply) and the footer (always added)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from omnitui.config import Settings, load_settings
from omnitui.core.chat_presence import set_online
from omnitui.hub_lock import HubLock
from omnitui.tui.app import OmniConsole, make_app
from omnitui.tui.demo import write_config
from omnitui.tui.dialogs.compose import ComposeDialog
from omnitui.tui.screens.conversation import ConversationScreen
from omnitui.tui.widgets.signature_box import SignatureBox

from .helpers import EMMA, KASIA, one, open_conv, type_text
from .screen_text import screen_text

CHANNELS = '''
[channels.mail]
kind = "email"
address = "support@shop.test"
imap_host = "127.0.0.1"
smtp_host = "127.0.0.1"
username = "support"
password_env = "UNUSED_IN_THIS_TEST"
footer = "Lamp & Co Ltd · reg. 12345"

[channels.bot]
kind = "telegram"
token_env = "UNUSED_IN_THIS_TEST"
'''


@pytest.fixture
def signed_shop(shop: Settings) -> Settings:
    path = write_config(shop.data_dir, CHANNELS)
    text = path.read_text().replace('timezone = "UTC"', 'timezone = "UTC"\nshop_name = "Lamp & Co"')
    path.write_text(text)
    return load_settings(path)


@pytest.fixture
def app(signed_shop: Settings, fixed_clock: Callable[[], float]) -> OmniConsole:
    return make_app(signed_shop, "anna", clock=fixed_clock)


def newest(app: OmniConsole) -> tuple:
    return one(app, "SELECT c.id, c.started_by, c.assignee_id, c.subject, m.text, m.channel "
               "FROM conversation c JOIN message m ON m.conversation_id = c.id "
               "ORDER BY c.id DESC, m.id DESC LIMIT 1")


async def test_c_writes_to_a_new_address_and_opens_the_conversation(app: OmniConsole) -> None:
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("C")
        await type_text(pilot, "new.buyer@example.org")
        assert "New customer: new.buyer@example.org (email)" in screen_text(app)
        await pilot.press("enter")  # the address → the subject box
        await type_text(pilot, "Your lamp")
        await pilot.press("enter")  # → the message
        await type_text(pilot, "It is back in stock.")
        dialog = app.screen
        assert isinstance(dialog, ComposeDialog)
        shown = screen_text(app)
        assert "New conversation to email new.buyer@example.org (mail)" in shown
        assert "Footer (always added): Lamp & Co Ltd · reg. 12345" in shown
        assert dialog.query_one(SignatureBox).area.text == "Anna Kowalska\nLamp & Co"
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert isinstance(app.screen, ConversationScreen)
        conv, started_by, assignee, subject, text, channel = newest(app)
        assert app.screen.conversation_id == conv
        assert started_by == assignee == app.agent.id
        assert (subject, channel) == ("Your lamp", "mail")
        assert text == ("It is back in stock.\n\nAnna Kowalska\nLamp & Co\n\n"
                        "Lamp & Co Ltd · reg. 12345")


async def test_c_in_a_conversation_prefills_the_customer_and_offers_her_channels(
        app: OmniConsole) -> None:
    async with app.run_test(size=(100, 40)) as pilot:
        await open_conv(pilot, EMMA)
        await pilot.press("C")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ComposeDialog)
        assert [t.label for t in dialog.targets] == ["Telegram Emma Johnson",
                                                     "email emma.johnson@example.com"]
        assert "New conversation to Telegram Emma Johnson (bot)" in screen_text(app)
        assert not dialog.query_one("#compose-subject").display  # no subject on Telegram
        await type_text(pilot, "Found it!")  # the focus is in the message already
        await pilot.press("ctrl+n")  # the next way to reach her: email, with a subject
        await pilot.pause()
        assert "New conversation to email emma.johnson@example.com (mail)" in screen_text(app)
        await pilot.press("ctrl+j")
        await pilot.pause()
        _, _, _, subject, text, channel = newest(app)
        assert channel == "mail" and subject == "Found it!"  # the first line, as a subject
        assert text.startswith("Found it!\n\nAnna Kowalska")


async def test_offline_visitor_and_empty_text_are_one_sentence_and_nothing_stored(
        app: OmniConsole) -> None:
    before = one(app, "SELECT count(*) FROM conversation")
    async with app.run_test(size=(100, 40)) as pilot:
        await open_conv(pilot, KASIA)  # a website chat visitor, not connected now
        await pilot.press("C")
        await pilot.pause()
        assert "offline" in screen_text(app)
        await type_text(pilot, "Are you still there?")
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert isinstance(app.screen, ComposeDialog)
        assert any("is not on the website chat now" in str(n.message)
                   for n in app._notifications)
        assert one(app, "SELECT count(*) FROM conversation") == before
        # A hub serves the chat and she is online now: the same message goes.
        lock = HubLock.of(app.settings)
        lock.acquire()
        try:
            set_online(app.store, "chat", "visitor-kasia", True)
            await pilot.press("ctrl+j")
            await pilot.pause()
        finally:
            lock.release()
        assert isinstance(app.screen, ConversationScreen)
        assert newest(app)[4:] == ("Are you still there?", "chat")


async def test_reply_box_names_the_target_and_signs_with_the_edit_and_footer(
        app: OmniConsole) -> None:
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_conv(pilot, EMMA)
        await pilot.press("r")
        await pilot.pause()
        assert "Reply to Telegram Emma Johnson (bot)" in screen_text(app)
        box = screen.query_one(SignatureBox)
        assert not box.display  # Telegram signs only when configured; no footer there
        await pilot.press("ctrl+n")  # her email address
        await pilot.pause()
        assert "Reply to email emma.johnson@example.com (mail)" in screen_text(app)
        assert box.display and box.area.text == "Anna Kowalska\nLamp & Co"
        assert "Footer (always added): Lamp & Co Ltd · reg. 12345" in screen_text(app)
        await type_text(pilot, "It left today.")
        await pilot.press("tab")  # into the signature, for this reply only
        assert app.focused is box.area
        await type_text(pilot, " (shop manager)")
        await pilot.press("ctrl+j")
        await pilot.pause()
        text, channel = one(app, "SELECT text, channel FROM message WHERE kind = 'outbound' "
                            "ORDER BY id DESC LIMIT 1")
        assert channel == "mail"
        assert text == ("It left today.\n\nAnna Kowalska\nLamp & Co (shop manager)\n\n"
                        "Lamp & Co Ltd · reg. 12345")
        # The next reply starts from the agent's own signature again.
        await pilot.press("r")
        await pilot.pause()
        assert box.area.text == "Anna Kowalska\nLamp & Co"


async def test_palette_opens_it_and_untrusted_names_stay_text(app: OmniConsole) -> None:
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "New conversation")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ComposeDialog)
        await type_text(pilot, "mallory")
        await pilot.pause()
        shown = screen_text(app)
        assert "[@click=app.quit]Mallory" in shown and "\u202e" not in shown  # as typed, inert
        await pilot.press("escape")  # nothing written yet: closes at once
        await pilot.pause()
        assert not isinstance(app.screen, ComposeDialog)
