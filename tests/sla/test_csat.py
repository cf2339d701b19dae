"""Email CSAT: asked once on resolve, a digit reply becomes a rating, anything else reopens."""

from __future__ import annotations

import dataclasses

import pytest

from omnitui.config import Settings
from omnitui.core import actions
from omnitui.core.agents import AgentRow
from omnitui.core.csat import (
    REQUEST_TEXT,
    csat_requested,
    mark_csat_requested,
    parse_rating,
    request_csat,
)
from omnitui.core.feed import Feed
from omnitui.core.hours import BusinessHours
from omnitui.core.ingest import ingest
from omnitui.core.reports import build_report
from omnitui.core.resolve_settle import SettleState, settle_resolutions
from omnitui.core.service_levels import ServiceLevels
from omnitui.core.sla import SlaPolicy
from omnitui.core.undo import UNDO_WINDOW
from omnitui.store.db import Store

from .conftest import SHOP, Clock, chat, email, send_as_hub, utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", (5, None)),
        ("  3 \n", (3, None)),
        ("4 - quick and kind", (4, "quick and kind")),
        ("4. Thanks!", (4, "Thanks!")),
        ("5/5", (5, None)),
        ("5 stars", (5, None)),
        ("2\n\nThe answer took\ntwo days.", (2, "The answer took two days.")),
        ("1\n-- \nOlga Nowak\nCEO, Example Ltd", (1, None)),
        ("6", None),
        ("0", None),
        ("10", None),
        ("12345", None),
        ("5 items are missing from my order", None),
        ("My order 5 is late", None),
        ("", None),
        ("3 - " + "x" * 300, None),
    ],
)
def test_parse_rating(text: str, expected: tuple[int, str | None] | None) -> None:
    assert parse_rating(text) == expected


class Desk:
    """The hub's feed follower and its settling of resolves, driven by hand with the injected
    clock (a resolve asks for a rating once its undo window has passed on that clock)."""

    def __init__(self, shop: Settings, store: Store, clock: Clock) -> None:
        self.feed, self.service, self.store, self.clock = Feed(shop.database), ServiceLevels(
            shop), store, clock
        self.state = SettleState()

    def settle(self) -> list[str]:
        notes: list[str] = []
        while True:
            while events := self.feed.poll(force=True):
                notes += self.service.on_events(self.store, events, self.clock.now)
            if not settle_resolutions(self.store, self.clock(), UNDO_WINDOW,
                                      self.state).conversations:
                return notes

    def resolve_and_wait(self, conv: int, agent: AgentRow) -> list[str]:
        """Resolve, then let the undo window pass: the rating request may leave now."""
        actions.resolve(self.store, conv, agent)
        assert self.settle() == []  # nothing leaves while the agent can still undo
        self.clock.t += UNDO_WINDOW + 0.5
        return self.settle()


def conv_row(store: Store, conv: int) -> tuple[object, ...]:
    return tuple(store.conn.execute(
        "SELECT status, rating, rating_comment, reopen_count, waiting_since, due_at "
        "FROM conversation WHERE id = ?", (conv,)).fetchone())


def resolved_email(store: Store, clock: Clock, agent: AgentRow, desk: Desk) -> tuple[int, str]:
    clock.set(utc(4, 10))
    conv = ingest(store, email("m1", wire_id="<m1@example.org>")).conversation_id
    clock.set(utc(4, 10, 30))
    actions.reply(store, conv, "Refund sent", agent)
    clock.set(utc(4, 11))
    asked = desk.resolve_and_wait(conv, agent)
    assert asked == [f"conversation {conv}: rating requested by email"]
    send_as_hub(store, desk.service.settings)
    wire = store.conn.execute("SELECT wire_id FROM message WHERE conversation_id = ? AND "
                              "text = ?", (conv, REQUEST_TEXT)).fetchone()[0]
    return conv, wire


def test_resolve_asks_once_and_digit_reply_rates(shop: Settings, tstore: Store, clock: Clock,
                                                 agent: AgentRow) -> None:
    desk = Desk(shop, tstore, clock)
    conv, wire = resolved_email(tstore, clock, agent, desk)
    assert csat_requested(tstore, conv)
    assert request_csat(tstore, shop, conv) is None  # never twice for one resolution
    meta = tstore.conn.execute("SELECT meta FROM message WHERE wire_id = ?", (wire,)).fetchone()
    assert '"automatic": true' in meta[0]
    clock.set(utc(4, 23))  # after hours, yet no auto-ack: this is a rating, not a question
    ingest(tstore, email("m2", text="4 - quick and kind", thread_refs=(wire,)))
    assert desk.settle() == [f"conversation {conv}: rated 4 by email"]
    assert conv_row(tstore, conv) == ("resolved", 4, "quick and kind", 0, None, None)
    outbound = tstore.conn.execute("SELECT count(*) FROM message WHERE kind = 'outbound'")
    assert outbound.fetchone()[0] == 2  # the agent's reply and the rating request
    policy = SlaPolicy.from_config(SHOP["sla"])
    hours = BusinessHours.from_config(SHOP["hours"], "UTC")
    total = build_report(tstore, policy, hours, since=utc(1), now=utc(5)).total
    assert (total.fcr, total.resolved, total.csat_average, total.breaches) == (1, 1, 4, 0)
    assert total.inbound == 2  # the rating reply is still a message the customer sent


def test_late_reply_that_is_not_a_rating_reopens(shop: Settings, tstore: Store, clock: Clock,
                                                 agent: AgentRow) -> None:
    desk = Desk(shop, tstore, clock)
    conv, wire = resolved_email(tstore, clock, agent, desk)
    clock.set(utc(6, 10))
    ingest(tstore, email("m2", text="5 items are still missing!", thread_refs=(wire,)))
    desk.settle()
    status, rating, _, reopens, waiting, due = conv_row(tstore, conv)
    assert (status, rating, reopens, waiting) == ("open", None, 1, utc(6, 10).timestamp())
    assert due == utc(6, 14).timestamp()  # next-response target, 4 business hours
    # Resolving again asks again: a new resolution deserves a new question.
    clock.set(utc(6, 11))
    asked = desk.resolve_and_wait(conv, agent)
    assert asked == [f"conversation {conv}: rating requested by email"]


def test_reply_after_agent_reopened_is_a_message(shop: Settings, tstore: Store, clock: Clock,
                                                 agent: AgentRow) -> None:
    desk = Desk(shop, tstore, clock)
    conv, wire = resolved_email(tstore, clock, agent, desk)
    clock.set(utc(4, 12))
    actions.reopen(tstore, conv, agent)
    desk.settle()
    ingest(tstore, email("m2", text="5", thread_refs=(wire,)))
    desk.settle()
    assert conv_row(tstore, conv)[:2] == ("open", None)


def test_no_email_request_for_chat_or_csat_off(shop: Settings, tstore: Store, clock: Clock,
                                               agent: AgentRow) -> None:
    desk = Desk(shop, tstore, clock)
    clock.set(utc(4, 10))
    c = ingest(tstore, chat("c1")).conversation_id
    assert desk.resolve_and_wait(c, agent) == [] and not csat_requested(tstore, c)
    # The chat server asks in its own way and records it for everyone.
    mark_csat_requested(tstore, c, "chat", actor="channel:chat")
    assert csat_requested(tstore, c)
    off = dataclasses.replace(shop, channels={
        **shop.channels, "mail": dataclasses.replace(shop.channels["mail"], csat=False)})
    m = ingest(tstore, email("m1")).conversation_id
    actions.resolve(tstore, m, agent)
    assert request_csat(tstore, off, m) is None
    bounce = ingest(tstore, email("b1", address="noreply@example.org")).conversation_id
    actions.resolve(tstore, bounce, agent)
    assert request_csat(tstore, shop, bounce) is None
