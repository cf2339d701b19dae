"""Customer ratings (CSAT) of a customer's conversations, for the console's timeline."""

from __future__ import annotations

import json
from dataclasses import dataclass

from omnitui.store.db import Store


@dataclass(frozen=True, slots=True)
class Rating:
    event_id: int
    at: float
    conversation_id: int
    customer: str
    score: int
    comment: str | None
    kind: str | None  # the channel kind it came by (email, telegram, chat); None if unknown


def ratings_of_customer(store: Store, customer_id: int, *, since: float = 0.0) -> list[Rating]:
    """Every rating given in the customer's conversations since `since`, oldest first.

    The channel is that of the rating message (email) or of the identity that gave it (a chat
    `rating` or a Telegram button, whose actor is `customer:<address>`). A rating event written
    before comments were kept in it shows the conversation's comment if it is the latest.
    """
    rows = store.conn.execute(
        "SELECT e.id, e.at, e.conversation_id, cu.name, e.data, c.rating_comment, "
        "coalesce((SELECT i.kind FROM message m JOIN identity i ON i.id = m.identity_id "
        "          WHERE m.id = e.message_id), "
        "         (SELECT i.kind FROM identity i WHERE i.customer_id = c.customer_id "
        "          AND 'customer:' || i.address = e.actor LIMIT 1)), "
        "e.id = (SELECT max(r.id) FROM event r WHERE r.conversation_id = e.conversation_id "
        "        AND r.kind = 'rating') "
        "FROM event e JOIN conversation c ON c.id = e.conversation_id "
        "JOIN customer cu ON cu.id = c.customer_id "
        "WHERE e.conversation_id IN (SELECT id FROM conversation WHERE customer_id = ?) "
        "AND e.kind = 'rating' AND e.at >= ? ORDER BY e.id",
        (customer_id, since)).fetchall()
    out = []
    for event_id, at, conv_id, name, data, latest_comment, kind, latest in rows:
        d = json.loads(data or "{}")
        comment = d.get("comment") or (latest_comment if latest and "comment" not in d else None)
        out.append(Rating(event_id, float(at), conv_id, name, int(d.get("score", 0)),
                          comment, kind))
    return out
