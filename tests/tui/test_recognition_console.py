"""Recognising a customer in the console: the suggestion in the side panel and on the inbox row,
`s` (merge preview for the suggested pair, folding the two cases), `D` (not them), `I` (add an
identity) and the call-log dialog's phone number, each checked in the store afterwards."""

from __future__ import annotations

from omnitui.channels.base import Inbound
from omnitui.core.agents import get_agent
from omnitui.core.ingest import ingest
from omnitui.core.merge import merge_customers
from omnitui.tui import keymap
from omnitui.tui.app import OmniConsole
from omnitui.tui.dialogs.add_identity import AddIdentityDialog, guess_kind
from omnitui.tui.dialogs.call_log import CallLogDialog
from omnitui.tui.dialogs.merge import MergeDialog
from omnitui.tui.screens.conversation import ConversationScreen
from omnitui.tui.widgets.inbox_list import InboxList

from .helpers import EMMA, KASIA, one, open_conv, type_text
from .screen_text import screen_text


def emma_from_a_new_address(app: OmniConsole, name: str = "Emma Johnson") -> int:
    """Emma writes from an address the shop has never seen, about her order: a new customer,
    and a suggestion that she is the Emma already known. Returns the new conversation."""
    res = ingest(app.store, Inbound(
        channel="mail", kind="email", external_id="emma-new", address="emma.j@elsewhere.example",
        display_name=name, subject="order 10482", text="Any news about order #10482?"))
    return res.conversation_id


def flat(text: str) -> str:
    """Screen text as one line of words (a dialog wraps its lines inside its border)."""
    return " ".join(text.replace("│", " ").split())


def toasts(app: OmniConsole) -> list[str]:
    return [str(n.message) for n in app._notifications]


def test_suggestion_and_identity_keys_are_in_the_registry_and_palette() -> None:
    specs = {s.id: s for s in keymap.REGISTRY if s.palette}
    for binding_id, key in (("conversation.suggestion", "s"),
                            ("conversation.not_them", "D"),
                            ("conversation.identity", "I")):
        assert specs[binding_id].keys == key
        assert hasattr(ConversationScreen, f"action_{specs[binding_id].action}")


async def test_s_opens_the_merge_preview_and_folds_the_two_cases(console: OmniConsole) -> None:
    new = emma_from_a_new_address(console)
    async with console.run_test(size=(100, 30)) as pilot:
        await open_conv(pilot, new)
        text = screen_text(console)
        assert "≈ probably Emma Johnson:" in text and "order 10482" in text
        assert "s merge · D not them" in text
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(console.screen, MergeDialog)
        text = flat(screen_text(console))
        assert "emma.j@elsewhere.example" in text
        assert f"#{new} (mail, 1 message) folds into the older conversation #{EMMA}" in text
        await pilot.press("ctrl+j")
        await pilot.pause()
        screen = console.screen
        assert isinstance(screen, ConversationScreen) and screen.conversation_id == EMMA
        assert one(console, "SELECT merged_into FROM conversation WHERE id = ?", new) == (EMMA,)
        assert "Any news about order #10482?" in screen.timeline.plain()
        assert "≈ probably" not in screen_text(console)  # the pair is merged: no suggestion


async def test_fold_can_be_turned_off_in_the_preview(console: OmniConsole) -> None:
    new = emma_from_a_new_address(console)
    async with console.run_test(size=(100, 30)) as pilot:
        await open_conv(pilot, new)
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert "☐ keep both cases" in screen_text(console)
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert one(console, "SELECT merged_into FROM conversation WHERE id = ?", new) == (None,)
        emma = one(console, "SELECT customer_id FROM conversation WHERE id = ?", EMMA)[0]
        assert one(console, "SELECT customer_id FROM conversation WHERE id = ?", new) == (emma,)


async def test_unmerge_splits_the_folded_case_again(console: OmniConsole) -> None:
    new = emma_from_a_new_address(console)
    anna = get_agent(console.store, "anna")
    customer = one(console, "SELECT customer_id FROM conversation WHERE id = ?", new)[0]
    emma = one(console, "SELECT customer_id FROM conversation WHERE id = ?", EMMA)[0]
    merge_customers(console.store, emma, customer, anna, fold_cases=True)
    async with console.run_test(size=(100, 30)) as pilot:
        await open_conv(pilot, EMMA)
        await pilot.press("M")
        await pilot.pause()
        assert f"#{new} is split out of #{EMMA} again" in flat(screen_text(console))
        await pilot.press("enter")
        await pilot.pause()
        assert one(console, "SELECT merged_into, customer_id FROM conversation WHERE id = ?",
                   new) == (None, customer)
        assert "Any news about order #10482?" not in console.screen.timeline.plain()  # type: ignore[attr-defined]


async def test_d_dismisses_the_suggestion_for_good(console: OmniConsole) -> None:
    new = emma_from_a_new_address(console)
    async with console.run_test(size=(100, 30)) as pilot:
        await open_conv(pilot, new)
        await pilot.press("D")
        await pilot.pause()
        assert one(console, "SELECT state, decided_by FROM match_suggestion") == (
            "dismissed", "anna")
        assert "≈ probably" not in screen_text(console)
        assert "Dismissed: not Emma Johnson." in toasts(console)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(console.screen, ConversationScreen)
        assert "No suggestion about this customer." in toasts(console)


async def test_the_inbox_row_carries_the_suggestion(console: OmniConsole) -> None:
    new = emma_from_a_new_address(console)
    async with console.run_test(size=(100, 30)) as pilot:
        await pilot.press("4")
        await pilot.pause()
        inbox = console.screen.query_one(InboxList)
        rows = [line for line in screen_text(console).splitlines() if "emma.j" in line or
                "≈" in line]
        assert any("≈ Emma Johnson: same" in line for line in rows), rows
        customer = one(console, "SELECT customer_id FROM conversation WHERE id = ?", new)[0]
        assert inbox.suggested == {customer: "probably Emma Johnson: same name, order 10482"}


async def test_i_adds_an_identity_the_customer_gave(console: OmniConsole) -> None:
    async with console.run_test(size=(100, 30)) as pilot:
        await open_conv(pilot, KASIA)
        await pilot.press("I")
        await pilot.pause()
        assert isinstance(console.screen, AddIdentityDialog)
        await type_text(pilot, "+48 601 234 567")
        assert "Adds: phone number" in screen_text(console)
        await pilot.press("enter")
        await pilot.pause()
        kasia = one(console, "SELECT customer_id FROM conversation WHERE id = ?", KASIA)[0]
        assert one(console, "SELECT customer_id, linked_via FROM identity WHERE kind = 'phone'"
                   ) == (kasia, "agent")
        text = screen_text(console)
        assert "+48 601 234 567" in text and "added by an agent" in text
        # The same number again, written another way: said so, nothing added.
        await pilot.press("I")
        await pilot.pause()
        await type_text(pilot, "+48601234567")
        await pilot.press("enter")
        await pilot.pause()
        assert any("already has +48601234567" in t for t in toasts(console))
        assert one(console, "SELECT count(*) FROM identity WHERE kind = 'phone'") == (1,)


async def test_i_with_another_customers_address_is_one_sentence(console: OmniConsole) -> None:
    taken = one(console, "SELECT address FROM identity WHERE kind = 'email' ORDER BY id")[0]
    before = one(console, "SELECT count(*) FROM identity")
    async with console.run_test(size=(100, 30)) as pilot:
        await open_conv(pilot, KASIA)
        await pilot.press("I")
        await pilot.pause()
        await type_text(pilot, taken)
        await pilot.press("enter")
        await pilot.pause()
        said = [t for t in toasts(console) if taken in t]
        assert said and "omnitui customer merge" in said[0] and said[0].count(".") >= 1
        assert one(console, "SELECT count(*) FROM identity") == before


async def test_call_log_with_the_callers_number(console: OmniConsole) -> None:
    async with console.run_test(size=(100, 30)) as pilot:
        await open_conv(pilot, KASIA)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(console.screen, CallLogDialog)
        await type_text(pilot, "She called about the blue lamp")
        await pilot.press("tab")
        await type_text(pilot, "+48 600 123 456")
        await pilot.press("ctrl+j")
        await pilot.pause()
        text, meta = one(console, "SELECT text, meta FROM message WHERE kind = 'call' "
                         "ORDER BY id DESC LIMIT 1")
        assert text == "She called about the blue lamp" and "+48 600 123 456" in meta
        assert one(console, "SELECT linked_via FROM identity WHERE kind = 'phone' AND "
                   "address = '+48 600 123 456'") == ("agent",)


async def test_a_refused_number_keeps_what_was_typed(console: OmniConsole) -> None:
    async with console.run_test(size=(100, 30)) as pilot:
        await open_conv(pilot, KASIA)
        await pilot.press("c")
        await pilot.pause()
        await type_text(pilot, "Called")
        await pilot.press("tab")
        await type_text(pilot, "12")
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert isinstance(console.screen, CallLogDialog)  # asked again, nothing lost
        assert console.screen.query_one("#call-text").text == "Called"  # type: ignore[attr-defined]
        assert one(console, "SELECT count(*) FROM message WHERE text = 'Called'") == (0,)


async def test_a_suggested_name_is_text_not_markup(console: OmniConsole) -> None:
    hostile = "[bold]Emma[/bold] \x1b[31mJohnson"
    new = emma_from_a_new_address(console)
    console.store.conn.execute("UPDATE customer SET name = ? WHERE id = (SELECT customer_id "
                               "FROM conversation WHERE id = ?)", (hostile, EMMA))
    async with console.run_test(size=(100, 30)) as pilot:
        await open_conv(pilot, new)
        text = screen_text(console)
        assert "[bold]Emma[/bold]" in text and "\x1b" not in text


def test_kind_is_guessed_from_what_is_typed() -> None:
    assert [guess_kind(v) for v in ("anna@post.example", "+48 601 234 567", "@anna_k",
                                    "t.me/anna_k", "anna")] == [
        "email", "phone", "telegram", "telegram", None]
