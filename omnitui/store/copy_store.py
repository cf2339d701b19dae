"""Copy a SQLite store into an empty PostgreSQL database, resumably, and check it.

The source is read in one snapshot. Each table goes over in one transaction (COPY, then its id
sequence set past the highest id, then its name added to `store_copy.tables_done`), so a copy
cut short at any instant leaves whole tables and a record of which; run again with the same
source, it goes on with the next table. Attachment bytes (files beside the SQLite store) go into
`attachment_blob`, where a PostgreSQL store keeps them. At the end every table's row count is
compared with the source's.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnitui.store.copy_plan import BLOB_TABLE, CopyPlan, TablePlan, plan_copy, quoted
from omnitui.store.database import Database
from omnitui.store.db import Store, StoreError, current_revision, head_revision, upgrade
from omnitui.store.files import blob_path
from omnitui.store.pg_problems import connect_problem

FETCH_ROWS = 5_000
BLOB_BATCH_BYTES = 32 << 20
COPY_LOCK_KEY = 0x6F6D6E63  # "omnc": one copy into a database at a time
LOCK_WAIT = "5s"  # a killed copy's server session may take a moment to end
APPLICATION = "omnitui migrate-store"


@dataclass(frozen=True, slots=True)
class TableCount:
    table: str
    source: int
    target: int


@dataclass
class CopyResult:
    counts: list[TableCount] = field(default_factory=list)
    tables_resumed: int = 0  # tables an earlier, interrupted run had already copied
    already_complete: bool = False  # the target was a finished copy of this source already
    files: int = 0
    file_bytes: int = 0
    missing_files: list[str] = field(default_factory=list)
    source_upgraded_from: str | None = None
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(c.source for c in self.counts if c.table != BLOB_TABLE)

    @property
    def mismatched(self) -> list[TableCount]:
        return [c for c in self.counts if c.source != c.target]


Progress = Callable[[str, int, float], None]  # table, rows copied, seconds
Started = Callable[[CopyPlan, int, bool], None]  # the plan, tables already in, all done


def copy_store(source_path: Path, attachments_dir: Path, target: Database, *,
               restart: bool = False, started: Started | None = None,
               progress: Progress | None = None) -> CopyResult:
    """Copy the SQLite store at `source_path` into `target`; StoreError says why not."""
    import psycopg

    began = time.perf_counter()
    result = CopyResult()
    result.source_upgraded_from = _ready_source(source_path)
    _ready_target(target)
    raw = _connect(target)
    src = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, isolation_level=None)
    try:
        _take_copy_lock(raw, target)
        src.execute("BEGIN")  # one snapshot for the census, every table and the check
        plan = plan_copy(src, raw)
        done = _start_or_resume(raw, target, str(source_path.resolve()), plan,
                                restart=restart, result=result)
        if started:
            started(plan, result.tables_resumed, result.already_complete)
        if result.already_complete:  # in use since, perhaps: its counts prove nothing now
            return result
        for table in plan.tables:
            if table.name not in done:
                _copy_one(src, raw, table, progress)
        files = _copy_blobs(src, raw, attachments_dir, done, result, progress)
        result.counts = _check_counts(raw, plan, files)
        if not result.mismatched:  # (the planner's statistics: the hub's ANALYZE as it starts)
            raw.execute("UPDATE store_copy SET finished_at = %s WHERE id = 1", (time.time(),))
        src.execute("COMMIT")
    except psycopg.OperationalError as exc:
        raise StoreError(f"The connection to {target.describe()} was lost during the copy "
                         f"({_first_line(exc)}); run the same command again to go on.") from None
    finally:
        src.close()
        raw.close()
    result.seconds = time.perf_counter() - began
    return result


def _copy_one(src: sqlite3.Connection, raw: Any, table: TablePlan,
              progress: Progress | None) -> None:
    """One table in one transaction, recorded as done in the same transaction."""
    import psycopg

    t0 = time.perf_counter()
    try:
        with raw.transaction():
            copied = _copy_table(src, raw, table)
            _mark_done(raw, table.name)
    except psycopg.OperationalError:
        raise
    except psycopg.Error as exc:
        raise StoreError(_refused_row(src, table, exc)) from None
    if progress:
        progress(table.name, copied, time.perf_counter() - t0)


def _refused_row(src: sqlite3.Connection, table: TablePlan, exc: Exception) -> str:
    """Which source row PostgreSQL refused (COPY names its line; line N is the Nth rowid)."""
    diag = getattr(exc, "diag", None)
    reason = (getattr(diag, "message_primary", None) or _first_line(exc)).rstrip(".")
    context = getattr(diag, "context", None) or ""
    found = re.search(r"line (\d+)(?:, column (\w+))?", context)
    if found is None:
        return f"PostgreSQL refused table {table.name}: {reason}; nothing of it was copied."
    row = src.execute(f"SELECT rowid FROM {quoted(table.name)} ORDER BY rowid LIMIT 1 "
                      "OFFSET ?", (int(found.group(1)) - 1,)).fetchone()
    column = f", column {found.group(2)}" if found.group(2) else ""
    return (f"PostgreSQL refused row {row[0] if row else '?'} of table {table.name}{column} "
            f"({reason}); that table was not copied, the tables before it were kept.")


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or ["no reason given"])[0].rstrip(".")


def _ready_source(path: Path) -> str | None:
    """The source at this code's schema; returns the revision it was upgraded from, if any."""
    if not path.is_file():
        raise StoreError(f"There is no SQLite store at {path}.")
    revision = current_revision(path)
    if revision is None:
        raise StoreError(f"{path} is not an omnitui store (it has no schema version).")
    if revision == head_revision():
        return None
    upgrade(path)  # the same upgrade 'omnitui init' does: rows are kept
    return revision


def _ready_target(target: Database) -> None:
    """Reachable, then at the newest schema (Store.open migrates an empty database)."""
    _connect(target).close()
    Store.open(target).close()


def _connect(target: Database) -> Any:
    """A psycopg connection (autocommit) for COPY, with one-sentence connection errors."""
    try:
        return target.connect(purpose=APPLICATION).raw
    except sqlite3.Error as exc:
        raise StoreError(connect_problem(target, str(exc))) from None


def _take_copy_lock(raw: Any, target: Database) -> None:
    import psycopg

    raw.execute(f"SET lock_timeout = '{LOCK_WAIT}'")
    try:
        raw.execute("SELECT pg_advisory_lock(%s)", (COPY_LOCK_KEY,))
    except psycopg.errors.LockNotAvailable:
        raise StoreError(f"Another migrate-store is copying into {target.describe()}; wait for "
                         "it to end.") from None
    raw.execute("SET lock_timeout = 0")


def _start_or_resume(raw: Any, target: Database, source_id: str, plan: CopyPlan, *,
                     restart: bool, result: CopyResult) -> set[str]:
    """The tables already copied: none for a new copy, the record's for a resumed one."""
    where = target.describe()
    marker = raw.execute("SELECT source, census, tables_done, started_at, finished_at "
                         "FROM store_copy WHERE id = 1").fetchone()
    if marker is None:
        holding = _tables_with_rows(raw)
        if holding:
            raise StoreError(f"{where} already holds omnitui data (rows in "
                             f"{', '.join(holding[:4])}); migrate-store copies only into an "
                             "empty database.")
        raw.execute("INSERT INTO store_copy (id, source, census, tables_done, started_at) "
                    "VALUES (1, %s, %s, '[]', %s)", (source_id, plan.census(), time.time()))
        return set()
    source, census, tables_done, _started, finished = marker
    if source != source_id:
        state = "a copy" if finished is not None else "an unfinished copy"
        raise StoreError(f"{where} already holds {state} of {source}; migrate-store copies "
                         "only into an empty database.")
    if census != plan.census():
        if finished is not None:
            raise StoreError(f"{where} is a copy of {source} made before the source changed; "
                             "copy it again into a new, empty database.")
        if not restart:
            raise StoreError(f"{source} has changed since the interrupted copy into {where} "
                             "began; run again with --restart to empty that copy and start "
                             "over.")
        _empty_unfinished_copy(raw)
        raw.execute("INSERT INTO store_copy (id, source, census, tables_done, started_at) "
                    "VALUES (1, %s, %s, '[]', %s)", (source_id, plan.census(), time.time()))
        return set()
    done = set(json.loads(tables_done))
    result.already_complete = finished is not None
    result.tables_resumed = len(done & {t.name for t in plan.tables})
    return done


def _tables_with_rows(raw: Any) -> list[str]:
    names = [row[0] for row in raw.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "AND tablename NOT IN ('alembic_version', 'store_copy') ORDER BY tablename")]
    return [n for n in names
            if raw.execute(f"SELECT EXISTS (SELECT 1 FROM {quoted(n)})").fetchone()[0]]


def _empty_unfinished_copy(raw: Any) -> None:
    """Only for a copy the record shows unfinished: every row there is the copy's own (or
    derived from it, as a search index is)."""
    names = [row[0] for row in raw.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "AND tablename <> 'alembic_version'")]
    with raw.transaction():
        raw.execute(f"TRUNCATE {', '.join(quoted(n) for n in names)} RESTART IDENTITY")


def _copy_table(src: sqlite3.Connection, raw: Any, table: TablePlan) -> int:
    columns = ", ".join(quoted(c) for c in table.columns)
    rows = src.execute(f"SELECT {columns} FROM {quoted(table.name)} ORDER BY rowid")
    copied = 0
    with raw.cursor() as cur, cur.copy(f"COPY {quoted(table.name)} ({columns}) FROM STDIN") as cp:
        while chunk := rows.fetchmany(FETCH_ROWS):
            for row in chunk:
                cp.write_row(row)
            copied += len(chunk)
    if table.has_id_sequence:  # new rows get ids after the copied ones
        raw.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                    f"coalesce(max(id), 1), max(id) IS NOT NULL) FROM {quoted(table.name)}",
                    (quoted(table.name),))
    return copied


def _mark_done(raw: Any, name: str) -> None:
    row = raw.execute("SELECT tables_done FROM store_copy WHERE id = 1 FOR UPDATE").fetchone()
    done = json.loads(row[0])
    done.append(name)
    raw.execute("UPDATE store_copy SET tables_done = %s WHERE id = 1", (json.dumps(done),))


def _copy_blobs(src: sqlite3.Connection, raw: Any, root: Path, done: set[str],
                result: CopyResult, progress: Progress | None) -> int:
    """Every attachment file the source's rows name, into `attachment_blob`; returns how many
    the source has. Batches commit as they go (ON CONFLICT: a resumed run skips what is in)."""
    digests = [row[0] for row in src.execute(
        "SELECT DISTINCT sha256 FROM attachment WHERE sha256 IS NOT NULL ORDER BY sha256")]
    if BLOB_TABLE in done:
        result.files = len(digests) - len(_absent(raw, digests))
        return result.files
    t0 = time.perf_counter()
    found = 0
    for batch in _blob_batches(root, digests, result):
        found += len(batch)
        with raw.transaction(), raw.cursor() as cur:
            cur.executemany(f"INSERT INTO {BLOB_TABLE} (sha256, data) VALUES (%s, %s) "
                            "ON CONFLICT DO NOTHING", batch)
    with raw.transaction():
        _mark_done(raw, BLOB_TABLE)
    result.files = found
    if progress:
        progress(f"{BLOB_TABLE} (files)", found, time.perf_counter() - t0)
    return found


def _blob_batches(root: Path, digests: list[str],
                  result: CopyResult) -> Iterator[list[tuple[str, bytes]]]:
    batch: list[tuple[str, bytes]] = []
    size = 0
    for digest in digests:
        try:
            data = blob_path(root, digest).read_bytes()
        except OSError:
            result.missing_files.append(digest)
            continue
        if hashlib.sha256(data).hexdigest() != digest:  # a damaged file is not passed on
            result.missing_files.append(digest)
            continue
        batch.append((digest, data))
        size += len(data)
        result.file_bytes += len(data)
        if size >= BLOB_BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _absent(raw: Any, digests: list[str]) -> list[str]:
    if not digests:
        return []
    present = {row[0] for row in raw.execute(
        f"SELECT sha256 FROM {BLOB_TABLE} WHERE sha256 = ANY(%s)", (digests,))}
    return [d for d in digests if d not in present]


def _check_counts(raw: Any, plan: CopyPlan, files: int) -> list[TableCount]:
    counts = [TableCount(t.name, t.rows, int(raw.execute(
        f"SELECT count(*) FROM {quoted(t.name)}").fetchone()[0])) for t in plan.tables]
    blobs = int(raw.execute(f"SELECT count(*) FROM {BLOB_TABLE}").fetchone()[0])
    counts.append(TableCount(BLOB_TABLE, files, blobs))
    return counts

