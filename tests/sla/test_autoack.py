"""After-hours acknowledgements: when they go out, when they must not, and that loops end."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from omnitui.config import Settings
from omnitui.core import actions
from omnitui.core.agents import AgentRow
from omnitui.core.autoack import is_noreply, maybe_auto_ack
from omnitui.core.feed import Feed
from omnitui.core.hours import BusinessHours
from omnitui.core.ingest import ingest
from omnitui.core.service_levels import ServiceLevels
from omnitui.store.db import Store

from .conftest import SHOP, Clock, chat, email, send_as_hub, tg, utc

HOURS = BusinessHours.from_config(SHOP["hours"], "UTC")
NIGHT = utc(4, 22)  # Monday 22:00, closed


def outbound(store: Store, conv: int | None = None) -> list[tuple[int, str, str]]:
    rows = store.conn.execute(
        "SELECT conversation_id, text, meta FROM message WHERE kind = 'outbound' ORDER BY id"
    ).fetchall()
    return [tuple(r) for r in rows if conv is None or r[0] == conv]


def ack(store: Store, shop: Settings, message_id: int, now: datetime):  # type: ignore[no-untyped-def]
    return maybe_auto_ack(store, shop, HOURS, message_id, now)


def test_email_after_hours_gets_one_ack_naming_the_opening(shop: Settings, tstore: Store,
                                                           clock: Clock) -> None:
    clock.set(NIGHT)
    r = ingest(tstore, email("m1"))
    decision = ack(tstore, shop, r.message_id, NIGHT)
    assert decision.sent and decision.message_id is not None
    [(conv, text, meta)] = outbound(tstore)
    assert conv == r.conversation_id and '"automatic": true' in meta
    assert "Tuesday 09:00 UTC" in text
    send_as_hub(tstore, shop)
    row = tstore.conn.execute("SELECT agent_id, channel, wire_id FROM message WHERE id = ?",
                              (decision.message_id,)).fetchone()
    signer = tstore.conn.execute("SELECT username, disabled FROM agent WHERE id = ?",
                                 (row[0],)).fetchone()
    assert tuple(signer) == ("omnitui", 1) and row[1] == "mail"
    assert row[2].endswith("@shop.example>")
    assert tstore.conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 1
    # A second message the same night: nothing more.
    clock.set(utc(4, 23))
    again = ingest(tstore, email("m2", text="also this"))
    assert ack(tstore, shop, again.message_id, utc(4, 23)).reason.startswith("already sent")
    assert len(outbound(tstore)) == 1


def test_next_night_acks_again(shop: Settings, tstore: Store, clock: Clock) -> None:
    clock.set(NIGHT)
    ack(tstore, shop, ingest(tstore, email("m1")).message_id, NIGHT)
    clock.set(utc(5, 22, 1))
    assert ack(tstore, shop, ingest(tstore, email("m2")).message_id, utc(5, 22, 1)).sent
    assert len(outbound(tstore)) == 2


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (email("a", flags=frozenset({"auto_reply"})), "automatic mail"),
        (email("b", flags=frozenset({"bounce"})), "automatic mail"),
        (email("c", flags=frozenset({"bulk"})), "automatic mail"),
        (email("d", address="no-reply@shop.example.net"), "noreply sender"),
        (email("e", address="MAILER-DAEMON@mx.example.org"), "noreply sender"),
        (chat("f"), "auto_ack is off"),
    ],
)
def test_never_acks_automatic_mail_noreply_or_chat(shop: Settings, tstore: Store, clock: Clock,
                                                   item: object, reason: str) -> None:
    clock.set(NIGHT)
    decision = ack(tstore, shop, ingest(tstore, item).message_id, NIGHT)  # type: ignore[arg-type]
    assert not decision.sent and decision.reason.startswith(reason)
    assert outbound(tstore) == []


def test_inside_hours_old_backfill_and_channel_off(shop: Settings, tstore: Store,
                                                   clock: Clock) -> None:
    clock.set(utc(4, 10))
    assert ack(tstore, shop, ingest(tstore, email("m1")).message_id, utc(4, 10)).reason == \
        "inside business hours"
    clock.set(NIGHT)
    old = ingest(tstore, email("m0", address="x@example.org", sent_at=utc(1, 22)))
    assert ack(tstore, shop, old.message_id, NIGHT).reason == "message is old (backfill)"
    off = dataclasses.replace(shop, channels={
        **shop.channels, "mail": dataclasses.replace(shop.channels["mail"], auto_ack=False)})
    new = ingest(tstore, email("m3", address="y@example.org"))
    assert not maybe_auto_ack(tstore, off, HOURS, new.message_id, NIGHT).sent
    assert outbound(tstore) == []


def test_agent_answer_first_means_no_ack(shop: Settings, tstore: Store, clock: Clock,
                                         agent: AgentRow) -> None:
    clock.set(NIGHT)
    r = ingest(tstore, tg("t1"))
    actions.reply(tstore, r.conversation_id, "Night shift here!", agent)
    assert ack(tstore, shop, r.message_id, NIGHT).reason == "an agent already answered"


def test_custom_text_and_telegram(shop: Settings, tstore: Store, clock: Clock) -> None:
    bot = dataclasses.replace(shop.channels["bot"], auto_ack_text="Back {when}. Thanks!")
    custom = dataclasses.replace(shop, channels={**shop.channels, "bot": bot})
    clock.set(utc(8, 19))  # Friday evening; Monday is a holiday
    r = ingest(tstore, tg("t1"))
    assert maybe_auto_ack(tstore, custom, HOURS, r.message_id, utc(8, 19)).sent
    assert outbound(tstore)[0][1] == "Back Tuesday 09:00 UTC. Thanks!"


def test_two_auto_responders_stop_after_one_message(shop: Settings, tstore: Store,
                                                    clock: Clock) -> None:
    """The other side answers everything it gets, unflagged (the worst case). Each round it
    replies to our newest message; the exchange must die out after our first ack."""
    feed = Feed(shop.database)
    service = ServiceLevels(shop)
    clock.set(NIGHT)
    ingest(tstore, email("robot-0", address="robot@example.org", text="Ticket received"))
    for round_no in range(1, 6):
        service.on_events(tstore, feed.poll(force=True), clock.now)
        ours = outbound(tstore)
        if len(ours) < round_no:
            break
        clock.set(utc(4, 22, round_no))
        send_as_hub(tstore, shop)
        wire = tstore.conn.execute("SELECT wire_id FROM message WHERE kind = 'outbound' "
                                   "ORDER BY id DESC LIMIT 1").fetchone()[0]
        ingest(tstore, email(f"robot-{round_no}", address="robot@example.org",
                             text="Ticket received", thread_refs=(wire,)))
    assert len(outbound(tstore)) == 1
    assert tstore.conn.execute("SELECT count(*) FROM event WHERE kind = 'auto_ack'"
                               ).fetchone()[0] == 1
    feed.close()


def test_noreply_patterns() -> None:
    assert is_noreply("noreply@x.org") and is_noreply("do-not-reply@x.org")
    assert is_noreply("no_reply+42@x.org") and is_noreply("postmaster@x.org")
    assert not is_noreply("olga@example.org") and not is_noreply("noreen@x.org")
