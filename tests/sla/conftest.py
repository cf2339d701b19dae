"""Fixtures for service-level tests: a store whose clock the test sets (no sleeping)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from omnitui.channels.base import Inbound
from omnitui.config import Settings, parse_settings
from omnitui.core.agents import AgentRow, add_agent
from omnitui.store.db import Store


class Clock:
    """A settable clock for `Store(clock=...)`: every transaction's `now` is what the test says."""

    def __init__(self, at: datetime) -> None:
        self.t = at.timestamp()

    def __call__(self) -> float:
        return self.t

    def set(self, at: datetime) -> datetime:
        self.t = at.timestamp()
        return at

    @property
    def now(self) -> datetime:
        return datetime.fromtimestamp(self.t, UTC)


def utc(d: int, h: int = 0, mi: int = 0, s: int = 0, month: int = 5) -> datetime:
    """2026-05-04 is a Monday; May 2026 is the month of every hand-built story here."""
    return datetime(2026, month, d, h, mi, s, tzinfo=UTC)


def email(ext: str, address: str = "olga@example.org", text: str = "Where is my order?",
          **kw: object) -> Inbound:
    return Inbound(channel="mail", kind="email", external_id=ext, address=address, text=text,
                   **kw)  # type: ignore[arg-type]


def chat(ext: str, visitor: str = "v1", text: str = "hello", **kw: object) -> Inbound:
    return Inbound(channel="chat", kind="chat", external_id=ext, address=visitor, text=text,
                   **kw)  # type: ignore[arg-type]


def tg(ext: str, user: str = "4242", text: str = "hi", **kw: object) -> Inbound:
    return Inbound(channel="bot", kind="telegram", external_id=ext, address=user, text=text,
                   **kw)  # type: ignore[arg-type]


SHOP = {
    "omnitui": {"timezone": "UTC"},
    "channels": {
        "chat": {"kind": "chat"},
        "mail": {"kind": "email", "address": "support@shop.example", "imap_host": "imap",
                 "smtp_host": "smtp", "username": "support", "auto_ack": True,
                 "password_env": "MAILPW"},
        "bot": {"kind": "telegram", "auto_ack": True, "token_env": "TGTOKEN"},
    },
    "hours": {"mon-fri": "09:00-18:00", "holidays": ["2026-05-11"]},
    "sla": {"chat": {"first": "2m", "next": "5m"}, "email": {"first": "1h", "next": "4h",
            "resolution": "2d"}, "telegram": "15m"},
}


@pytest.fixture
def clock() -> Clock:
    return Clock(utc(4, 8))


@pytest.fixture
def shop(data_dir: Path) -> Settings:
    raw = {**SHOP, "omnitui": {**SHOP["omnitui"], "data_dir": str(data_dir)}}
    return parse_settings(raw, None)


@pytest.fixture
def tstore(shop: Settings, clock: Clock) -> Iterator[Store]:
    s = Store.open(shop.database, clock=clock)
    yield s
    s.close()


@pytest.fixture
def agent(tstore: Store) -> AgentRow:
    return add_agent(tstore, "ann", "Ann Agent")


@pytest.fixture
def agent2(tstore: Store) -> AgentRow:
    return add_agent(tstore, "bob", "Bob Builder")


def send_as_hub(store: Store, settings: Settings) -> list[str]:
    """What the hub does with due email replies: the sending channel names each Message-ID,
    which is stored before the attempt, then the reply is marked sent. The ids, in order."""
    from omnitui.channels.email import EmailChannel
    from omnitui.core import outbox

    channels = {name: EmailChannel(name, cfg) for name, cfg in settings.channels.items()
                if cfg.kind == "email"}
    sent: list[str] = []
    for item in outbox.claim_due(store, set(channels)):
        out = outbox.load_outbound(store, item, settings.attachments_dir)
        wire_id = outbox.fix_wire_id(store, item, channels[item.channel].new_wire_id(out))
        outbox.mark_sent(store, item, wire_id=wire_id)
        sent.append(wire_id)
    return sent
