"""What an ingest batch needs to know about the customers it meets, read once per batch.

Each message of a batch asks who its sender is, which live conversation it joins (and in which
state that is) and which recognition keys the customer already has. Asked one message at a time
that is three statements per message: microseconds on SQLite, a round trip each on PostgreSQL.
Here they are asked for the whole batch in three statements, before the first message.

Only what was found is trusted, and only until the batch changes it itself: a sender not found
is looked up again when met (an earlier message of the batch may have created it), the batch
keeps its own changes (`opened`, `stored_keys` are updated in place), and a merge of two
customers inside the batch drops everything (`forget`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from omnitui.core.match_keys import stored_keys
from omnitui.core.recognition import LIVE_SQL
from omnitui.store.db import Tx

CHUNK = 500  # ids per `IN (...)`: well under both engines' parameter limits


@dataclass
class BatchReads:
    # (kind, address) → (identity id, customer id, customer merged into, identity channel)
    identities: dict[tuple[str, str], tuple[int, int, int | None, str]] = field(
        default_factory=dict)
    # customer id → their newest live conversation
    live: dict[int, int] = field(default_factory=dict)
    # conversation id → its status
    states: dict[int, str] = field(default_factory=dict)
    # customer id → recognition keys (core.match_keys.stored_keys' shape)
    keys: dict[int, dict[Any, str | None]] = field(default_factory=dict)
    # senders looked for and not found: none needs looking for again while only plain
    # messages (core.ingest._plain) come, as those make identities through `customer_for` only
    missing: set[tuple[str, str]] = field(default_factory=set)

    def forget(self) -> None:
        """Customers were merged inside the batch: identities, conversations and keys moved."""
        self.identities.clear()
        self.live.clear()
        self.states.clear()
        self.keys.clear()
        self.missing.clear()

    def keys_of(self, tx: Tx, customer_id: int, *, new: bool) -> dict[Any, str | None]:
        """The customer's recognition keys, read once per batch (none yet for a `new` one);
        the caller adds what it writes to the same dict."""
        found = self.keys.get(customer_id)
        if found is None:
            found = self.keys[customer_id] = {} if new else stored_keys(tx.conn, customer_id)
        return found

    def opened(self, conversation_id: int) -> None:
        """The batch woke this conversation (or made it): it is open now."""
        self.states[conversation_id] = "open"


def read_for_batch(tx: Tx, senders: Iterable[tuple[str, str]], *,
                   with_keys: bool) -> BatchReads:
    """Identities of `senders` ((kind, address), cleaned as `customer_for` cleans them), the
    live conversations of their customers and, with `with_keys`, those customers' keys."""
    reads = BatchReads()
    by_kind: dict[str, list[str]] = {}
    wanted = dict.fromkeys(senders)
    for kind, address in wanted:
        by_kind.setdefault(kind, []).append(address)
    for kind, addresses in by_kind.items():
        for chunk in _chunks(addresses):
            among, values = tx.sql.one_of("i.address", chunk)
            for row in tx.all(
                "SELECT i.address, i.id, i.customer_id, c.merged_into, i.channel FROM identity i"
                f" JOIN customer c ON c.id = i.customer_id WHERE i.kind = ? AND {among}",
                (kind, *values)):
                reads.identities[(kind, row[0])] = (row[1], row[2], row[3], row[4])
    reads.missing = set(wanted) - set(reads.identities)
    customers = sorted({hit[1] for hit in reads.identities.values() if hit[2] is None})
    for chunk in _chunks(customers):
        among, values = tx.sql.one_of("customer_id", chunk)
        for row in tx.all(
            f"SELECT customer_id, id, status FROM conversation WHERE {among}"
            f" AND status IN {LIVE_SQL} AND merged_into IS NULL ORDER BY last_message_at DESC",
            values):
            reads.live.setdefault(row[0], row[1])  # the newest first, as routing picks
            reads.states[row[1]] = row[2]
        if with_keys:
            for customer_id in chunk:
                reads.keys[customer_id] = {}
            for row in tx.all(
                "SELECT customer_id, kind, key, coalesce(conversation_id, 0), detail"
                f" FROM match_key WHERE {among}", values):
                reads.keys[row[0]][(row[1], row[2], row[3])] = row[4]
    return reads


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]
