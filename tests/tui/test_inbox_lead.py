"""The inbox leads the agent: Needs reply by default with real counts, deadlines with glyphs,
notices (new, reply, missed target, bell), the next-waiting key, bulk actions with undo."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime

from omnitui.channels.base import Inbound
from omnitui.config import Settings
from omnitui.config_inbox import InboxSettings, ViewSettings
from omnitui.core import actions
from omnitui.core.agents import get_agent
from omnitui.core.hours import BusinessHours
from omnitui.core.ingest import ingest
from omnitui.core.sla import SlaPolicy
from omnitui.core.sla_store import refresh_many
from omnitui.store.db import Store
from omnitui.store.inbox_query import InboxView, inbox_count, inbox_ids
from omnitui.tui.app import OmniConsole, make_app
from omnitui.tui.screens.conversation import ConversationScreen
from omnitui.tui.screens.inbox import InboxScreen
from omnitui.tui.widgets.inbox_list import InboxList

from .conftest import NOW
from .helpers import AHMED, EMMA, KASIA, MALLORY, one
from .screen_text import screen_text

WAITING = [EMMA, KASIA, AHMED, MALLORY]  # the demo's Needs reply for Anna, most urgent first


def set_targets(store: Store, chat: str = "1h", email: str = "3d") -> None:
    """Response targets as the hub's SLA timer sets them (chat overdue, email not yet)."""
    ids = [r[0] for r in store.conn.execute("SELECT id FROM conversation")]
    refresh_many(store, ids, SlaPolicy.from_config({"chat": chat, "email": email}),
                 BusinessHours.from_config({}, "UTC"), datetime.fromtimestamp(NOW, UTC))


def needs_reply_order(app: OmniConsole) -> list[int]:
    return inbox_ids(app.store, InboxView(scope="needs_reply", agent_id=app.agent.id))


async def test_opens_on_needs_reply_with_real_counts_and_keys(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        inbox = console.screen.query_one(InboxList)
        assert inbox.view.scope == "needs_reply"
        counts = {scope: inbox_count(console.store, InboxView(scope=scope,
                                                              agent_id=console.agent.id))
                  for scope in ("needs_reply", "mine", "unassigned", "all")}
        assert counts == {"needs_reply": 4, "mine": 3, "unassigned": 3, "all": 7}
        header = screen_text(console).splitlines()[0]
        assert header.strip() == "1  Needs reply 4 ·  2  Mine 3 ·  3  Unassigned 3 ·  4  All 7"
        assert sorted(r.id for r in map(inbox.row_at, range(inbox.count)) if r) == \
            sorted(WAITING)
        # a key shown as a key: the digit is drawn reversed, apart from the name
        strip = console.screen.query_one("#inbox-views").render_line(0)
        assert any(seg.text == " 1 " and seg.style and seg.style.reverse for seg in strip)
        await pilot.press("3")
        assert inbox.view.scope == "unassigned" and "Inbox: Unassigned" in screen_text(console)
        ingest(console.store, Inbound(channel="chat", kind="chat", external_id="count-1",
                                      address="visitor-count", text="anyone?"))
        await pilot.pause(0.3)  # the feed, no key: the header counts the new one
        assert "Needs reply 5" in screen_text(console) and "All 8" in screen_text(console)


async def test_further_and_configured_views(shop: Settings,
                                            fixed_clock: Callable[[], float]) -> None:
    vip = ViewSettings(name="vip", title="VIP waiting", scope="needs_reply", label="shipping")
    settings = dataclasses.replace(shop, inbox=InboxSettings(default_view="vip", views=(vip,)))
    app = make_app(settings, "anna", clock=fixed_clock, feed_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        inbox = app.screen.query_one(InboxList)
        assert "Inbox: VIP waiting" in screen_text(app)  # the config's default view
        assert [inbox.row_at(i).id for i in range(inbox.count)] == [EMMA]  # type: ignore[union-attr]
        await pilot.press("v")
        await pilot.pause()
        options = app.screen.options  # type: ignore[attr-defined]
        offered = {str(label).strip().rsplit(" ", 1)[0].strip(" 1234"): int(str(label).split()[-1])
                   for label, _ in options}
        for name in ("Needs reply", "Unread", "Waiting on the customer", "Snoozed", "Resolved",
                     "Failed deliveries", "Channel mail", "Channel bot", "Label #shipping",
                     "VIP waiting"):
            assert name in offered, (name, offered)
        for label, named in options:  # every count is the view's real count
            assert int(str(label).split()[-1]) == inbox_count(app.store, named.view), label
        assert offered["VIP waiting"] == 1 and offered["Failed deliveries"] == 1
        await pilot.press(*["down"] * 8, "enter")  # Failed deliveries
        await pilot.pause()
        assert inbox.view.failed and inbox.count == 1  # the demo's bounced reply
        failed = inbox.row_at(0)
        assert failed is not None
        assert one(app, "SELECT count(*) FROM message WHERE conversation_id = ? AND "
                   "delivery_state = 'failed'", failed.id)[0] == 1


async def test_rows_show_time_left_with_a_glyph(console: OmniConsole) -> None:
    set_targets(console.store)
    async with console.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = screen_text(console)
        rows = {line.split()[2]: line for line in text.splitlines() if "Needs reply" not in line
                and ("overdue" in line or "left" in line)}
        assert "▲ overdue" in rows["Katarzyna"]  # chat, 1h target long gone
        assert "◷ " in rows["Emma"] and " left" in rows["Emma"]  # email, 3d target
        # most urgent first: the overdue chat before the emails still in time
        assert needs_reply_order(console)[0] == KASIA


async def test_notices_new_reply_breach_and_bell(shop: Settings,
                                                 fixed_clock: Callable[[], float]) -> None:
    settings = dataclasses.replace(shop, inbox=InboxSettings(bell=True))
    app = make_app(settings, "anna", clock=fixed_clock)
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        ingest(app.store, Inbound(channel="chat", kind="chat", external_id="n-1",
                                  address="visitor-new", display_name="Zoe Newcomer", text="hi"))
        ingest(app.store, Inbound(channel="chat", kind="chat", external_id="n-2",
                                  address="visitor-kasia", text="still there?"))
        await pilot.pause(0.3)
        set_targets(app.store)  # the hub's timer: Katarzyna's (mine) and nobody's chats breach
        await pilot.pause(0.3)
        toasts = [(n.title, n.message) for n in app._notifications]
        assert ("New conversation", next(m for t, m in toasts if "Zoe" in m)) in toasts
        assert any(t == "New message" and f"#{KASIA}" in m for t, m in toasts)
        missed = [m for t, m in toasts if t in ("Target missed", "Targets missed")]
        assert any(f"#{KASIA}" in m and "first response target has passed" in m
                   for m in missed), toasts
        assert rings  # the bell rang with them


async def test_notices_can_be_switched_off(shop: Settings,
                                           fixed_clock: Callable[[], float]) -> None:
    off = InboxSettings(notify_new=False, notify_reply=False, notify_breach=False)
    app = make_app(dataclasses.replace(shop, inbox=off), "anna", clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        ingest(app.store, Inbound(channel="chat", kind="chat", external_id="q-1",
                                  address="visitor-quiet", text="hi"))
        set_targets(app.store)
        await pilot.pause(0.4)
        assert "visitor-quiet" in screen_text(app) or "Needs reply 5" in screen_text(app)
        assert not list(app._notifications)


async def test_next_waiting_from_inbox_and_conversation_wraps(console: OmniConsole) -> None:
    order = needs_reply_order(console)
    assert len(order) == 4
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("space")  # from the inbox: the most urgent (highlighted) one
        await pilot.pause()
        assert isinstance(console.screen, ConversationScreen)
        seen = [console.screen.conversation_id]
        for _ in range(4):
            await pilot.press("space")
            await pilot.pause()
            assert isinstance(console.screen, ConversationScreen)
            seen.append(console.screen.conversation_id)
        assert seen == [*order, order[0]]  # each in turn, then round again


async def test_next_right_after_resolve_and_send(console: OmniConsole) -> None:
    order = needs_reply_order(console)
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("space")
        await pilot.pause()
        assert console.screen.conversation_id == order[0]  # type: ignore[attr-defined]
        await pilot.press("e", "enter", "space")  # resolve, and straight on
        await pilot.pause()
        assert console.screen.conversation_id == order[1]  # type: ignore[attr-defined]
        await pilot.press("r", "O", "k", "ctrl+j", "space")  # a reply, and straight on
        await pilot.pause()
        assert console.screen.conversation_id == order[2]  # type: ignore[attr-defined]
        assert one(console, "SELECT text FROM message WHERE conversation_id = ? AND kind = "
                   "'outbound' ORDER BY id DESC LIMIT 1", order[1])[0] == "Ok"
        await pilot.press("space")  # two still wait: the last one, then round to the other
        await pilot.pause()
        assert console.screen.conversation_id == order[3]  # type: ignore[attr-defined]
        await pilot.press("space")
        await pilot.pause()
        assert console.screen.conversation_id == order[2]  # type: ignore[attr-defined]


async def test_bulk_resolve_marked_then_undo(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        inbox = console.screen.query_one(InboxList)
        first, second = inbox.row_at(0), inbox.row_at(1)
        assert first and second
        await pilot.press("x", "x")  # marks and steps down
        assert set(inbox.marks) == {first.id, second.id}
        assert "2 marked" in screen_text(console)
        await pilot.press("e")
        await pilot.pause()
        assert "Resolve 2 conversations?" in screen_text(console)
        await pilot.press("enter")
        await pilot.pause()
        statuses = {cid: one(console, "SELECT status FROM conversation WHERE id = ?", cid)[0]
                    for cid in (first.id, second.id)}
        assert set(statuses.values()) == {"resolved"}
        assert not inbox.marks and inbox.count == 2
        assert any("Resolved 2 conversations." in n.message for n in console._notifications)
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert {one(console, "SELECT status FROM conversation WHERE id = ?", cid)[0]
                for cid in (first.id, second.id)} == {"open"}
        assert inbox.count == 4


async def test_bulk_skips_what_another_agent_changed(console: OmniConsole) -> None:
    bob = get_agent(console.store, "ben") if one(
        console, "SELECT count(*) FROM agent WHERE username = 'ben'")[0] else None
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        other = bob or get_agent(console.store, one(
            console, "SELECT username FROM agent WHERE username != 'anna' LIMIT 1")[0])
        inbox = console.screen.query_one(InboxList)
        await pilot.press("asterisk")  # every conversation of the view
        assert len(inbox.marks) == inbox.count == 4
        actions.assign(console.store, EMMA, other.username, other)  # meanwhile, a colleague
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("enter")  # "Me"
        await pilot.pause()
        owners = dict(console.store.conn.execute(
            "SELECT id, assignee_id FROM conversation WHERE id IN (?, ?, ?, ?)", WAITING))
        assert owners[EMMA] == other.id  # left as the colleague set it
        assert all(owners[c] == console.agent.id for c in WAITING if c != EMMA)
        said = [n.message for n in console._notifications if "Assigned" in n.message][-1]
        assert said.startswith(f"Assigned 3 conversations; skipped #{EMMA} ({other.username} "
                               "reassigned it): changed since you marked them.")
        assert "ctrl+z: undo" in said


async def test_mark_all_toggles_and_escape_clears(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        inbox = console.screen.query_one(InboxList)
        await pilot.press("asterisk")
        assert len(inbox.marks) == 4
        await pilot.press("asterisk")
        assert not inbox.marks
        await pilot.press("x", "escape")
        assert not inbox.marks
        await pilot.press("x", "4")  # another view: marks belong to the view they were made in
        assert not inbox.marks


async def test_bulk_label_and_snooze_from_inbox(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        inbox = console.screen.query_one(InboxList)
        await pilot.press("x", "x", "b")
        await pilot.pause()
        for ch in "urgent":
            await pilot.press(ch)
        await pilot.press("ctrl+j")
        await pilot.pause()
        labelled = {r[0] for r in console.store.conn.execute(
            "SELECT cl.conversation_id FROM conversation_label cl JOIN label l ON "
            "l.id = cl.label_id WHERE l.name = 'urgent'")}
        assert len(labelled) == 2
        await pilot.press("x", "z")
        await pilot.pause()
        await pilot.press("enter")  # until the customer replies
        await pilot.pause()
        assert inbox.count == 3
        assert isinstance(console.screen, InboxScreen)


async def test_help_says_how_the_inbox_is_ordered(console: OmniConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        body = str(console.screen.query_one("#help-body").render())
        assert "Most urgent first: by when the response target falls due" in body
        for key in ("inbox.next", "inbox.mark", "inbox.mark_all", "inbox.resolve",
                    "conversation.next"):
            assert key in body
