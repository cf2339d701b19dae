"""The schema, as SQLModel tables. Alembic migrations are the source of truth for the database;
these classes mirror them for metadata, documentation and typed access.

Times are UTC seconds since the epoch (REAL): cheap to compare and sort, converted for display.
Nothing is deleted or edited in place: message text is immutable, edits are `message_revision` rows,
and every state change also appends an `event` row.
"""

from __future__ import annotations

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class Agent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True)
    name: str
    role: str = "agent"  # admin | agent
    disabled: bool = False
    created_at: float


class Customer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    email: str | None = None
    phone: str | None = None
    language: str | None = None
    merged_into: int | None = Field(default=None, foreign_key="customer.id")
    link_token: str | None = Field(default=None, unique=True)  # deep links from other channels
    created_at: float


class Identity(SQLModel, table=True):
    """One address on one channel kind; unique per kind."""

    __table_args__ = (UniqueConstraint("kind", "address"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    kind: str
    address: str
    channel: str  # the configured channel it was last seen on
    display_name: str | None = None
    # How it came to an existing customer: "email" (an address given in chat, unverified),
    # "link" (deep-link token) or "phone"; "claimed" for an email identity made from an address
    # a chat visitor gave (unverified); None when first seen on its own or moved by an agent.
    linked_via: str | None = None
    created_at: float


class Conversation(SQLModel, table=True):
    __table_args__ = (
        Index("ix_conversation_customer_status", "customer_id", "status"),
        Index("ix_conversation_waiting", "status", "waiting_since"),
        Index("ix_conversation_updated", "last_message_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    status: str = "open"  # open | pending | snoozed | resolved
    channel: str  # channel it started on
    subject: str | None = None
    preview: str = ""
    assignee_id: int | None = Field(default=None, foreign_key="agent.id", index=True)
    created_at: float
    last_message_at: float
    last_inbound_at: float | None = None
    waiting_since: float | None = None  # first customer message not yet answered
    first_response_at: float | None = None
    resolved_at: float | None = None
    snoozed_until: float | None = None
    snooze_until_reply: bool = False
    due_at: float | None = None  # next response due (SLA)
    message_count: int = 0
    reopen_count: int = 0
    rating: int | None = None
    rating_comment: str | None = None
    transfer_message_id: int | None = None  # the open transfer note, pinned
    merged_into: int | None = Field(default=None, foreign_key="conversation.id")
    last_message_id: int | None = None
    # The agent who wrote first, for a conversation begun from the shop's side (None: the customer).
    started_by: int | None = Field(default=None, foreign_key="agent.id")


class ConversationRead(SQLModel, table=True):
    """How far an agent has read a conversation: drives the unread mark."""

    __tablename__ = "conversation_read"
    conversation_id: int = Field(foreign_key="conversation.id", primary_key=True)
    agent_id: int = Field(foreign_key="agent.id", primary_key=True)
    last_read_message_id: int = 0


class Message(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_message_conversation", "conversation_id", "id"),
        Index("ix_message_customer", "customer_id", "id"),
        Index("ix_message_wire", "wire_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    customer_id: int = Field(foreign_key="customer.id")
    kind: str  # inbound | outbound | note | transfer | call | system
    channel: str | None = None
    identity_id: int | None = Field(default=None, foreign_key="identity.id")
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    external_id: str | None = None
    wire_id: str | None = None
    subject: str | None = None
    text: str
    quoted_text: str | None = None
    flags: str = ""  # space-separated: auto_reply bounce bulk quarantined edited
    delivery_state: str | None = None  # queued | sending | sent | delivered | failed
    failure_reason: str | None = None
    reply_token: str | None = Field(default=None, index=True)
    meta: str = "{}"  # small JSON
    sent_at: float | None = None
    created_at: float


class MessageRevision(SQLModel, table=True):
    """An edit of a message (Telegram edits, agent corrections); the original stays."""

    __tablename__ = "message_revision"
    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    text: str
    external_id: str | None = None
    created_at: float


class Attachment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    filename: str
    content_type: str
    size: int
    sha256: str | None = None  # None when the file was too large to fetch
    note: str | None = None


class Label(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)


class ConversationLabel(SQLModel, table=True):
    __tablename__ = "conversation_label"
    conversation_id: int = Field(foreign_key="conversation.id", primary_key=True)
    label_id: int = Field(foreign_key="label.id", primary_key=True, index=True)


class CannedAnswer(SQLModel, table=True):
    __tablename__ = "canned_answer"
    __table_args__ = (UniqueConstraint("name", "language"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str
    title: str
    body: str
    language: str = ""
    tags: str = ""
    created_at: float
    updated_at: float


class Outbox(SQLModel, table=True):
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", unique=True)
    channel: str
    state: str = "queued"  # queued | sending | sent | failed
    attempts: int = 0
    ambiguous: bool = False
    next_attempt_at: float
    claimed_at: float | None = None
    last_error: str | None = None
    created_at: float


class Cursor(SQLModel, table=True):
    channel: str = Field(primary_key=True)
    value: str
    updated_at: float


class ChannelState(SQLModel, table=True):
    __tablename__ = "channel_state"
    channel: str = Field(primary_key=True)
    kind: str
    state: str  # starting | up | backfilling | retrying | stopped | failed
    detail: str | None = None
    last_error: str | None = None
    updated_at: float


class Event(SQLModel, table=True):
    """Append-only: the change feed every process follows, and the audit log."""

    id: int | None = Field(default=None, primary_key=True)
    at: float
    actor: str
    kind: str
    conversation_id: int | None = None
    customer_id: int | None = None
    message_id: int | None = None
    data: str = "{}"


class Presence(SQLModel, table=True):
    agent_id: int = Field(foreign_key="agent.id", primary_key=True)
    conversation_id: int | None = None
    typing: bool = False
    updated_at: float


class CustomerMerge(SQLModel, table=True):
    """What a merge moved, so `unmerge` can put it back."""

    __tablename__ = "customer_merge"
    id: int | None = Field(default=None, primary_key=True)
    survivor_id: int = Field(foreign_key="customer.id")
    merged_id: int = Field(foreign_key="customer.id")
    identity_ids: str  # JSON list
    conversation_ids: str  # JSON list
    # JSON {identity id: linked_via} before an automatic fold re-labelled them; None otherwise.
    linked_via_before: str | None = None
    created_at: float
    undone_at: float | None = None


class MatchKey(SQLModel, table=True):
    """Evidence about who a customer is, normalised for an indexed lookup (core.match_keys):
    a name word (`detail` the whole folded name), a phone in E.164, an address local part, an
    order number mentioned in a conversation, the opening of a reply the shop sent."""

    __tablename__ = "match_key"
    # Unique on (kind, key, customer_id, coalesce(conversation_id, 0)), an expression index.
    __table_args__ = (Index("ix_match_key_customer", "customer_id"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    kind: str  # name | phone | local | ref | sent
    key: str
    detail: str | None = None
    conversation_id: int | None = None  # ref: where it was mentioned
    created_at: float


class MatchSuggestion(SQLModel, table=True):
    """That two customers are probably one person (core.suggestions); one row per pair."""

    __tablename__ = "match_suggestion"
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")  # the new one
    candidate_id: int = Field(foreign_key="customer.id")  # the known one it probably is
    reasons: str  # JSON [{kind, detail, hint}]
    label: str  # "probably Anna Kowalska: same name, order 4412"
    score: float
    state: str = "open"  # open | dismissed | merged
    dismissed_kinds: str | None = None  # JSON: reason kinds when decided
    decided_by: str | None = None
    decided_at: float | None = None
    created_at: float
    updated_at: float


class ConversationFold(SQLModel, table=True):
    """A live conversation folded into its customer's older one by a merge (`merge_id`): what
    moved and both conversations' fields before and after, so `unmerge` puts them back."""

    __tablename__ = "conversation_fold"
    id: int | None = Field(default=None, primary_key=True)
    merge_id: int = Field(foreign_key="customer_merge.id", index=True)
    target_id: int = Field(foreign_key="conversation.id")  # the older one, which stays
    folded_id: int = Field(foreign_key="conversation.id")
    message_ids: str  # JSON list: the folded conversation's messages at the fold
    labels_added: str  # JSON list of label ids the target took from the folded one
    target_before: str  # JSON {column: value}
    target_after: str  # JSON {column: value}: a field changed since is left as it is
    folded_before: str  # JSON {column: value}
    created_at: float
    undone_at: float | None = None


class AgentSignature(SQLModel, table=True):
    """An agent's own signature: for every signing channel (`channel` '') or for one channel."""

    __tablename__ = "agent_signature"
    agent_id: int = Field(foreign_key="agent.id", primary_key=True)
    channel: str = Field(primary_key=True)
    text: str
    updated_at: float


class ChatPresence(SQLModel, table=True):
    """A chat visitor connected to the hub now (the hub clears them all when the channel starts
    or stops), so other processes can tell whether a new chat conversation reaches them."""

    __tablename__ = "chat_presence"
    channel: str = Field(primary_key=True)
    visitor: str = Field(primary_key=True)
    since: float


class AttachmentBlob(SQLModel, table=True):
    """An attachment's bytes, by SHA-256, in a PostgreSQL store (every host reads them there);
    a SQLite store keeps them as files beside the database and leaves this table empty."""

    __tablename__ = "attachment_blob"
    sha256: str = Field(primary_key=True)
    data: bytes


class StoreCopy(SQLModel, table=True):
    """A store copied in by `omnitui migrate-store` (one row): its source file, the source's
    row counts (JSON {table: [rows, max rowid]}), the tables already copied (JSON list), and
    when the copy finished (None while it is unfinished and may be resumed)."""

    __tablename__ = "store_copy"
    id: int | None = Field(default=None, primary_key=True)
    source: str
    census: str
    tables_done: str = "[]"
    started_at: float
    finished_at: float | None = None
