"""The one typed interface every channel backend speaks.

Channels turn wire traffic into plain `Inbound` dataclasses and deliver `Outbound` ones. They know
nothing of tables or of the console: everything they need from the store reaches them through the
`ChannelContext` protocol, which the hub implements on top of `core`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal, Protocol, runtime_checkable

ChannelKind = Literal["chat", "email", "telegram"]

# Flags an inbound message can carry; the console shows them and automation respects them.
FLAG_AUTO_REPLY = "auto_reply"
FLAG_BOUNCE = "bounce"
FLAG_BULK = "bulk"
FLAG_QUARANTINED = "quarantined"
FLAG_EDITED = "edited"
# Inbound.meta key: `link_email` was typed in the message text, not given by the shop's backend.
META_TYPED_EMAIL = "link_email_typed"
# Outbound.meta key: the conversation id a Telegram rating keyboard (1–5) under this reply rates.
META_CSAT_KEYBOARD = "csat_keyboard"


@dataclass(frozen=True, slots=True)
class InboundAttachment:
    """A file that came with a message. `data` is None when it was too large to fetch."""

    filename: str
    content_type: str
    size: int
    data: bytes | None = None
    note: str | None = None


@dataclass(slots=True)
class Inbound:
    """One customer message as a channel saw it, before routing.

    `external_id` is unique per channel and makes re-fetching harmless. `address` is the identity on
    this channel kind (email address, Telegram user id, chat visitor id).
    """

    channel: str
    kind: ChannelKind
    external_id: str
    address: str
    text: str
    display_name: str | None = None
    subject: str | None = None
    sent_at: datetime | None = None
    wire_id: str | None = None  # e.g. the email Message-ID
    thread_refs: tuple[str, ...] = ()  # In-Reply-To + References, nearest first
    reply_token: str | None = None
    attachments: tuple[InboundAttachment, ...] = ()
    flags: frozenset[str] = frozenset()
    link_email: str | None = None  # an email address the customer gave on this channel
    link_phone: str | None = None  # a phone number the customer shared
    link_token: str | None = None  # a deep-link token tying this identity to a known customer
    revision_of: str | None = None  # external_id of the message this one edits
    quoted_text: str | None = None  # the text this message replies to, shown as a quote
    error: str | None = None  # parse error of a quarantined message
    raw: bytes | None = None  # raw wire bytes worth keeping (email)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OutboundAttachment:
    """A file to send. Its bytes are a file at `path` (a SQLite store) or, when the store keeps
    them in the database (PostgreSQL), `data`, read when the reply was claimed."""

    path: Path
    filename: str
    content_type: str
    size: int
    data: bytes | None = field(default=None, repr=False)

    def read_bytes(self) -> bytes:
        return self.data if self.data is not None else self.path.read_bytes()

    def open(self) -> BinaryIO:
        return io.BytesIO(self.data) if self.data is not None else self.path.open("rb")


@dataclass(slots=True)
class Outbound:
    """A reply ready to go on the wire, with everything fixed before the first attempt."""

    message_id: int
    channel: str
    kind: ChannelKind
    address: str
    text: str
    agent_name: str
    created_at: datetime
    conversation_id: int
    subject: str | None = None
    wire_id: str | None = None  # final identity on the wire, stored before sending
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    reply_token: str | None = None
    attachments: tuple[OutboundAttachment, ...] = ()
    automatic: bool = False  # auto-acknowledgements etc. carry Auto-Submitted
    attempt: int = 1
    after_ambiguous: bool = False  # an earlier attempt may have reached the customer
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SendResult:
    wire_id: str | None = None  # what the server actually used, if it differs
    delivered: bool = False  # the channel knows the customer's client has it


class ChannelError(Exception):
    """Base of the faults a channel reports; the message is one readable sentence."""


class TemporaryError(ChannelError):
    """Retry later with backoff (4xx, network errors, rate limits)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ChannelError):
    """Never retry: mark the message failed with this reason (5xx, blocked by user)."""


class AmbiguousError(ChannelError):
    """The request may have reached the customer (connection lost after the data went out)."""


class Reroute(ChannelError):
    """Not deliverable on this channel now, but perhaps on another kind of the same customer:
    the hub queues the same text to the customer's `kind` identity and marks this message not
    delivered with the message as reason (chat → email once the visitor has left)."""

    def __init__(self, message: str, kind: ChannelKind) -> None:
        super().__init__(message)
        self.kind: ChannelKind = kind


class ConfigError(ChannelError):
    """The channel's settings cannot work; the hub reports it and does not hot-loop."""


# What to do with an outbound message found in state "sending" after a crash.
ResendPolicy = Literal["resend", "resend_once", "fail"]


class ChannelContext(Protocol):
    """What a running channel may ask of the hub. Implemented in `omnitui.hub_context`."""

    data_dir: Path

    async def ingest(self, batch: Sequence[Inbound], cursor: str | None = None) -> list[int]:
        """Commit the messages and the channel's new cursor in one transaction; message ids."""

    def cursor(self) -> str | None:
        """The channel's resume point as last committed."""

    async def set_state(self, state: str, detail: str | None = None) -> None:
        """Report health: starting, up, backfilling n of m, retrying in N s, stopped."""

    def log(self, message: str) -> None:
        """One line to the hub log; never pass secrets."""


class Channel(Protocol):
    name: str
    kind: ChannelKind
    resend_policy: ResendPolicy

    async def run(self, ctx: ChannelContext) -> None:
        """Bring messages in until cancelled. Raise to be restarted with backoff."""

    async def send(self, out: Outbound) -> SendResult:
        """Deliver one reply or raise a ChannelError subclass."""


@runtime_checkable
class NamesWireIds(Protocol):
    """A channel whose replies carry an identity the sender chooses (the email Message-ID).

    The hub asks for one before a reply's first attempt and stores it, so a resend after an
    unclear outcome uses the same; made here because only the channel knows its own address."""

    def new_wire_id(self, out: Outbound) -> str:
        """A fresh wire identity for `out`."""
