"""Conversation flows driven from the keyboard, each checked in the store afterwards."""

from __future__ import annotations

import dataclasses

from omnitui.channels.base import Inbound
from omnitui.core import actions
from omnitui.core.agents import get_agent
from omnitui.core.ingest import ingest
from omnitui.tui.app import OmniConsole, make_app
from omnitui.tui.dialogs.confirm import ConfirmDialog
from omnitui.tui.dialogs.help import HelpDialog, help_text
from omnitui.tui.screens.conversation import ConversationScreen

from .helpers import DMITRY, EMMA, KASIA, LIAM, NOAH, PIOTR, SOFIA, one, open_conv, type_text
from .screen_text import screen_text


async def test_reply_goes_to_latest_channel_with_ctrl_j(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        screen = await open_conv(pilot, EMMA)
        assert "Telegram Emma Johnson (bot)" in screen_text(console)  # she last wrote there
        await pilot.press("r")
        await type_text(pilot, "Your lamp ships today")
        await pilot.press("ctrl+j")
        await pilot.pause()
        row = one(console, "SELECT text, channel, delivery_state FROM message "
                  "WHERE kind = 'outbound' ORDER BY id DESC LIMIT 1")
        assert row == ("Your lamp ships today", "bot", "queued")
        assert screen.composer.text == ""
        assert "Your lamp ships today" in screen.timeline.plain()


async def test_switch_identity_with_one_key(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, EMMA)
        await pilot.press("r", "ctrl+n")  # first identity: her email address
        assert "email emma.johnson@example.com (mail)" in screen_text(console)
        await type_text(pilot, "By email")
        await pilot.press("alt+enter")
        await pilot.pause()
        assert one(console, "SELECT channel FROM message WHERE text = 'By email'") == ("mail",)


async def test_new_customer_message_while_typing_asks_to_confirm(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, KASIA)
        await pilot.press("r")
        await type_text(pilot, "Sure")
        ingest(console.store, Inbound(channel="chat", kind="chat", external_id="late",
                                      address="visitor-kasia", text="Actually, cancel it"))
        await pilot.pause(0.1)
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert isinstance(console.screen, ConfirmDialog)
        await pilot.press("y")
        await pilot.pause()
        assert one(console, "SELECT count(*) FROM message WHERE text = 'Sure'") == (1,)


async def test_stale_confirm_can_be_declined(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        screen = await open_conv(pilot, KASIA)
        await pilot.press("r")
        await type_text(pilot, "Sure")
        ingest(console.store, Inbound(channel="chat", kind="chat", external_id="late",
                                      address="visitor-kasia", text="Actually, cancel it"))
        await pilot.press("ctrl+j")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert one(console, "SELECT count(*) FROM message WHERE text = 'Sure'") == (0,)
        assert screen.composer.text == "Sure"


async def test_note_resolve_reopen_pending(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, NOAH)
        await pilot.press("n")
        await pilot.pause()
        await type_text(pilot, "VIP customer")
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert one(console, "SELECT kind FROM message WHERE text = 'VIP customer'") == ("note",)
        status = "SELECT status FROM conversation WHERE id = ?"
        await pilot.press("e")  # asks first: a stray letter never resolves
        await pilot.pause()
        assert isinstance(console.screen, ConfirmDialog)
        assert one(console, status, NOAH) == ("open",)
        await pilot.press("enter")
        await pilot.pause()
        assert one(console, status, NOAH) == ("resolved",)
        assert any("ctrl+z: undo" in n.message for n in console._notifications)
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert one(console, status, NOAH) == ("open",)
        assert any("undone" in n.message for n in console._notifications)
        await pilot.press("e", "enter")
        await pilot.pause()
        assert one(console, status, NOAH) == ("resolved",)
        await pilot.press("o", "escape")  # answered no
        await pilot.pause()
        assert one(console, status, NOAH) == ("resolved",)
        await pilot.press("o", "enter")
        await pilot.pause()
        assert one(console, status, NOAH) == ("open",)
        await pilot.press("p", "enter")
        await pilot.pause()
        assert one(console, status, NOAH) == ("pending",)
        plain = console.screen.timeline.plain()  # type: ignore[attr-defined]
        assert "Anna Kowalska resolved" in plain and "Anna Kowalska reopened" in plain
        assert "set pending" in plain


async def test_assign_snooze_label_call(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, DMITRY)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("enter")  # "Me"
        await pilot.pause()
        assert one(console, "SELECT a.username FROM conversation c JOIN agent a ON "
                   "a.id = c.assignee_id WHERE c.id = ?", DMITRY) == ("anna",)
        await pilot.press("b")
        await pilot.pause()
        await type_text(pilot, "vip -damaged")
        await pilot.press("enter")
        await pilot.pause()
        labels = console.store.conn.execute(
            "SELECT l.name FROM conversation_label cl JOIN label l ON l.id = cl.label_id "
            "WHERE cl.conversation_id = ?", (DMITRY,)).fetchall()
        assert [r[0] for r in labels] == ["vip"]
        await pilot.press("c")
        await pilot.pause()
        await type_text(pilot, "Called back")
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert one(console, "SELECT kind FROM message WHERE text = 'Called back'") == ("call",)
        await pilot.press("z")
        await pilot.pause()
        await pilot.press("down", "enter")  # 1 hour
        await pilot.pause()
        status, until = one(console, "SELECT status, snoozed_until FROM conversation "
                            "WHERE id = ?", DMITRY)
        assert status == "snoozed" and until == 1_750_000_000 + 3600


async def test_warm_transfer_with_prefilled_draft(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, EMMA)
        await pilot.press("t")
        await pilot.pause()
        text = screen_text(console)
        assert "Customer: Emma Johnson" in text
        assert "10482" in text and "bot" in text and "mail" in text
        await pilot.press("down", "tab", "tab")  # olga; then the note; then the checkbox
        await pilot.press("space", "ctrl+j")
        await pilot.pause()
        assert one(console, "SELECT a.username FROM conversation c JOIN agent a ON "
                   "a.id = c.assignee_id WHERE c.id = ?", EMMA) == ("olga",)
        note = one(console, "SELECT text FROM message WHERE kind = 'transfer' AND "
                   "conversation_id = ?", EMMA)[0]
        assert note.startswith("Customer: Emma Johnson")
        assert one(console, "SELECT count(*) FROM message WHERE kind = 'outbound' AND "
                   "text LIKE 'Olga Ivanova is taking over%'") == (1,)
        assert "Transfer note" in screen_text(console)


async def test_canned_picker_suggests_from_last_message(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        screen = await open_conv(pilot, EMMA)
        await pilot.press("r", "ctrl+o")
        await pilot.pause()
        picker = console.screen
        assert picker.shown[0].name == "where-is-order"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        await type_text(pilot, "10482")
        await pilot.press("enter")
        await pilot.pause()
        await type_text(pilot, "t.example/1")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(console.screen, ConversationScreen)
        assert screen.composer.text.startswith("Hi Emma, your order 10482 left")
        assert "Anna Kowalska" in screen.composer.text
        await type_text(pilot, " PS")  # editable before sending
        await pilot.press("ctrl+j")
        await pilot.pause()
        sent = one(console, "SELECT text FROM message WHERE kind = 'outbound' "
                   "ORDER BY id DESC LIMIT 1")[0]
        assert "t.example/1" in sent and sent.endswith("PS")


async def test_canned_picker_filters_as_you_type(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, DMITRY)
        await pilot.press("r", "ctrl+o")
        await pilot.pause()
        assert console.screen.shown[0].name in ("vozvrat", "returns")  # type: ignore[attr-defined]
        await type_text(pilot, "abroad")
        assert console.screen.shown[0].name == "shipping-abroad"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        assert "EU countries" in console.screen.composer.text  # type: ignore[attr-defined]


async def test_merge_customers_with_preview(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, NOAH)
        liam = one(console, "SELECT customer_id FROM conversation WHERE id = ?", LIAM)[0]
        noah = one(console, "SELECT customer_id FROM conversation WHERE id = ?", NOAH)[0]
        await pilot.press("m")
        await pilot.pause()
        await type_text(pilot, "Liam")
        await pilot.pause()
        assert "identities that move: chat:visitor-liam" in screen_text(console)
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert one(console, "SELECT merged_into FROM customer WHERE id = ?", liam) == (noah,)
        assert "Ireland" in console.screen.timeline.plain()  # type: ignore[attr-defined]


async def test_search_as_you_type_opens_conversation(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        await pilot.pause()
        await type_text(pilot, "nord")
        assert "Nordic" in screen_text(console)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(console.screen, ConversationScreen)
        assert console.screen.conversation_id == PIOTR


async def test_presence_of_other_agents(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, SOFIA)
        ben = get_agent(console.store, "ben")
        actions.set_presence(console.store, ben, SOFIA, typing=True)
        await pilot.pause(0.15)
        assert "Ben Carter typing" in screen_text(console)
        await pilot.press("r")
        await type_text(pilot, "x")
        assert one(console, "SELECT typing, conversation_id FROM presence p JOIN agent a ON "
                   "a.id = p.agent_id WHERE a.username = 'anna'") == (1, SOFIA)


async def test_help_and_keymap_override(shop, fixed_clock) -> None:  # type: ignore[no-untyped-def]
    settings = dataclasses.replace(shop, keys={"conversation.resolve": "ctrl+e"})
    app = make_app(settings, "anna", clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, NOAH)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpDialog)
        assert "Everywhere" in screen_text(app)
        assert "ctrl+e" in help_text(app.keys).plain
        await pilot.press("escape")
        await pilot.press("e")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmDialog)
        assert one(app, "SELECT status FROM conversation WHERE id = ?", NOAH) == ("open",)
        await pilot.press("ctrl+e", "enter")
        await pilot.pause()
        assert one(app, "SELECT status FROM conversation WHERE id = ?", NOAH) == ("resolved",)


async def test_command_palette_runs_screen_actions(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, NOAH)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "Resolve")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.2)
        await pilot.press("enter")  # the same question as the key asks
        await pilot.pause()
        assert one(console, "SELECT status FROM conversation WHERE id = ?", NOAH) == ("resolved",)


async def test_snooze_until_a_typed_time(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, NOAH)
        await pilot.press("z")
        await pilot.pause()
        await pilot.press("end", "enter")  # Other time…
        await pilot.pause()
        await type_text(pilot, "90m")
        await pilot.press("enter")
        await pilot.pause()
        assert one(console, "SELECT status, snoozed_until FROM conversation WHERE id = ?",
                   NOAH) == ("snoozed", 1_750_000_000 + 5400)


async def test_attach_a_file_by_path(console: OmniConsole, tmp_path) -> None:  # type: ignore[no-untyped-def]
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(b"%PDF-1.4 test")
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, SOFIA)
        await pilot.press("r", "ctrl+t")
        await pilot.pause()
        await type_text(pilot, str(invoice))
        await pilot.press("enter")
        await pilot.pause()
        assert "📎 1 file:  invoice.pdf (13 bytes)" in screen_text(console)
        await type_text(pilot, "Your invoice")
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert one(console, "SELECT a.filename, a.size FROM attachment a JOIN message m ON "
                   "m.id = a.message_id WHERE m.text = 'Your invoice'") == ("invoice.pdf", 13)


async def test_failed_delivery_and_channel_details(console: OmniConsole) -> None:
    console.store.conn.execute("DELETE FROM channel_state WHERE channel = 'chat'")
    console.store.conn.execute(  # (the test shop's config has the chat channel only)
        "INSERT INTO channel_state (channel, kind, state, detail, last_error, updated_at) "
        "VALUES ('chat', 'chat', 'retrying', 'in 30 s', 'Cannot listen on chat.sock', "
        "1750000000)")
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, NOAH)
        text = screen_text(console)
        assert "✗ failed" in text
        assert "Not delivered: chat visitor left" in text
        assert "chat retrying in 30 s" in text and "outbox 0 (1 failed)" in text
        await pilot.press("f2")
        await pilot.pause()
        assert "last error: Cannot listen on chat.sock" in screen_text(console)


async def test_long_history_draws_newest_first_and_older_on_request(
        console: OmniConsole) -> None:
    anna = get_agent(console.store, "anna")
    for n in range(200):
        actions.note(console.store, NOAH, f"note number {n}", anna)
    async with console.run_test(size=(80, 24)) as pilot:
        screen = await open_conv(pilot, NOAH)
        timeline = screen.timeline
        assert "note number 199" in timeline.plain()
        assert "note number 100" not in timeline.plain()
        hidden = timeline.hidden
        assert hidden > 100
        await pilot.press("u")
        assert timeline.hidden == hidden - 120
        assert "note number 100" in timeline.plain()
        assert "note number 199" in screen_text(console)  # the view stayed where it was
        timeline.scroll_home(animate=False, immediate=True)
        await pilot.press("k")
        assert timeline.hidden == 0
        assert "Is the blue armchair" in timeline.plain()


async def test_unknown_binding_id_in_keys_is_reported(shop, fixed_clock) -> None:  # type: ignore[no-untyped-def]
    settings = dataclasses.replace(shop, keys={"conversation.resolv": "ctrl+e"})
    app = make_app(settings, "anna", clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert any("conversation.resolv" in n.message for n in app._notifications)
