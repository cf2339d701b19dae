"""How the store's transactions begin and end on PostgreSQL.

Apart from store/postgres.py, which loads the driver: a store is made (and its transactions
chosen) before any connection, and a console whose first screen was read ahead
(cli/read_ahead.py) loads the driver only after its first paint.
"""

from __future__ import annotations

# Every write transaction takes this transaction-scoped advisory lock first, so writers queue
# one after another as they do on SQLite's write lock: event ids then grow in commit order,
# which the change feed relies on, and read-then-write steps see every earlier commit.
WRITE_LOCK_KEY = 0x6F6D6E69  # "omni"
FEED_CHANNEL = "omnitui_feed"

# One round trip each. A write notifies the change feed's listeners when it commits (a
# notification is delivered only on commit, and several in one transaction arrive as one).
BEGIN_WRITE = f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"
COMMIT_WRITE = f"NOTIFY {FEED_CHANNEL}; COMMIT"
BEGIN_READ = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
