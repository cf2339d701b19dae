"""Nothing typed is lost: the real console in tmux at 80×24 with a busy neighbour process, every
text entry typed into in bursts straight after the key that opens it (no waiting for the
dialog), then saved at once. What the store holds must be exactly what was typed."""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from omnitui.store.database import Database
from omnitui.store.dialect import sql_for
from omnitui.tui.demo import build_demo

from .tmux import Tmux, console_command, cpu_burner

pytestmark = [pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
              pytest.mark.slow]

ROUNDS = 20
WORDS = ("plain ascii words, Zażółć gęślą jaźń, Съешь же ещё этих мягких булок, "
         "مرحبا بالعالم، كيف حالك 🙂 🚚 ")


def burst(n: int, length: int = 2000) -> str:
    """`length` characters of mixed scripts, different each round (a number leads)."""
    return (f"[{n}] " + WORDS * (length // len(WORDS) + 1))[:length]


class Store:
    """A plain connection of the test's own, outside the console's, polled for what it wrote."""

    def __init__(self, database: Database) -> None:
        self.db = database.connect()

    def value(self, sql: str, *params: object) -> object:
        row = self.db.execute(sql, params).fetchone()
        return None if row is None else row[0]

    async def until(self, sql: str, *params: object, timeout: float = 30.0) -> object:
        deadline = time.monotonic() + timeout
        while (found := self.value(sql, *params)) is None:
            assert time.monotonic() < deadline, f"nothing came of {sql} {params}"
            await asyncio.sleep(0.05)
        return found


async def open_conversation(tmux: Tmux) -> int:
    """From wherever the console is: all conversations, the first one."""
    tmux.keys("Escape")
    await asyncio.sleep(0.3)
    tmux.keys("4")
    await asyncio.sleep(0.3)
    tmux.keys("Enter")
    pane = await tmux.wait_for("r reply")
    match = re.search(r"#(\d+) ", pane)
    assert match, pane
    return int(match.group(1))


ENTRIES = ("outbound", "note", "call", "transfer", "label", "snooze", "search")


@pytest.mark.parametrize("entry_kind", ENTRIES)
async def test_every_text_entry_keeps_exactly_what_was_typed(tmp_path: Path,
                                                             entry_kind: str) -> None:
    """One text entry per test (each its own console and busy neighbour), so that the entries'
    rounds run side by side on a parallel test run."""
    settings = build_demo(tmp_path / "shop")
    assert settings.path is not None
    store = Store(settings.database)
    tz = ZoneInfo(settings.timezone)
    tmux = Tmux()
    tmux.start(console_command(settings.path))
    spent: list[float] = []

    def newest(kind: str) -> int:
        return int(store.value("SELECT coalesce(max(id), 0) FROM message WHERE kind = ?",
                               kind))  # type: ignore[arg-type]

    async def entry(open_keys: list[str], text: str, save: str, check: str,
                    *params: object) -> object:
        started = time.monotonic()
        tmux.keys(*open_keys)  # then type at once: the dialog may not be on screen yet
        tmux.type(text)
        tmux.keys(save)
        try:
            found = await store.until(check, *params)
        except AssertionError as exc:  # what the agent saw is what tells a lost key from a slow one
            raise AssertionError(f"{exc}\nthe pane:\n{tmux.pane()}") from None
        spent.append(time.monotonic() - started)
        return found

    try:
        await tmux.wait_for("Inbox", timeout=20)
        with cpu_burner():
            conv = await open_conversation(tmux)
            keys = {"outbound": "r", "note": "n", "call": "c"}
            for n in range(ROUNDS):
                if entry_kind in keys:
                    typed, last = burst(n), newest(entry_kind)
                    stored = await entry([keys[entry_kind]], typed, "C-j",
                                         "SELECT text FROM message WHERE kind = ? AND id > ?",
                                         entry_kind, last)
                    assert stored == typed, f"{entry_kind} round {n}: stored " \
                                            f"{len(str(stored))} of {len(typed)} characters"
                elif entry_kind == "transfer":  # the warm transfer's note, after its draft
                    typed, last = burst(n), newest("transfer")
                    stored = await entry(["t", "Tab"], typed, "C-j",
                                         "SELECT text FROM message WHERE kind = 'transfer' "
                                         "AND id > ?", last)
                    assert typed in str(stored), f"transfer round {n}"
                elif entry_kind == "label":
                    name = f"zażółć-{n}-досуг"
                    stored = await entry(["b"], name, "Enter",
                                         "SELECT l.name FROM conversation_label cl JOIN label l "
                                         "ON l.id = cl.label_id WHERE cl.conversation_id = ? "
                                         "AND l.name = ?", conv, name)
                    assert stored == name
                elif entry_kind == "snooze":
                    when = (f"2031-{n % 12 + 1:02d}-{n + 1:02d} "
                            f"{n % 24:02d}:{(7 * n) % 60:02d}")
                    expected = datetime.strptime(when, "%Y-%m-%d %H:%M").replace(
                        tzinfo=tz).timestamp()
                    await entry(["z", "End", "Enter"], when, "Enter",
                                "SELECT 1 FROM conversation WHERE id = ? AND snoozed_until = ?",
                                conv, expected)
                else:
                    await search_round(tmux, store, n, spent)
        assert "Traceback" not in tmux.pane()
    finally:
        tmux.kill()
    spent.sort()
    print(f"{entry_kind}: {len(spent)} rounds, median {spent[len(spent) // 2]:.2f} s, "
          f"max {spent[-1]:.2f} s")


async def search_round(tmux: Tmux, store: Store, n: int, spent: list[float]) -> None:
    """Search: the typed words find their customer, and Enter opens that customer's case."""
    names = [str(r[0]) for r in store.db.execute(
        "SELECT cu.name FROM conversation c JOIN customer cu ON cu.id = c.customer_id "
        "WHERE cu.name NOT LIKE '%[%' ORDER BY c.id")]
    name = names[n % len(names)]
    tmux.keys("Escape")
    await tmux.wait_for("Inbox")  # (the conversation screen also says "r reply")
    started = time.monotonic()
    tmux.keys("/")
    tmux.type(name)
    tmux.keys("Enter")
    pane = await tmux.wait_for("r reply")
    opened = re.search(r"#(\d+) ", pane)
    assert opened, pane
    owner = store.value("SELECT cu.name FROM conversation c JOIN customer cu ON "
                        "cu.id = c.customer_id WHERE c.id = ?", int(opened.group(1)))
    assert owner == name, f"searched {name!r}, opened a conversation of {owner!r}"
    spent.append(time.monotonic() - started)


PROSE = ("ok done. Thanks a lot, your parcel is on its way and should arrive by Monday; "
         "please tell us if anything is missing. Best wishes, Anna")


async def test_prose_typed_into_the_wrong_place_changes_nothing(tmp_path: Path) -> None:
    """An agent who thinks the reply box is open types a paragraph into the conversation
    screen, then into the inbox: the letters are commands there, and none of them may change
    a conversation or send anything."""
    settings = build_demo(tmp_path / "shop")
    assert settings.path is not None
    store = Store(settings.database)
    each = ("id || status || coalesce(CAST(assignee_id AS TEXT), '-') || "
            "coalesce(CAST(snoozed_until AS TEXT), '-')")
    joined = sql_for(settings.database.dialect).joined(each, ",")
    durable = (f"SELECT (SELECT {joined} FROM conversation), "
               "(SELECT count(*) FROM message), (SELECT count(*) FROM outbox), "
               "(SELECT count(*) FROM conversation_label), "
               "(SELECT count(*) FROM event WHERE kind NOT IN ('presence', 'read') "
               "AND actor NOT LIKE 'hub:%' AND actor NOT LIKE 'channel:%')")  # (the hub's own)
    tmux = Tmux()
    tmux.start(console_command(settings.path))
    try:
        await tmux.wait_for("Inbox", timeout=20)
        await tmux.wait_for("chat up", timeout=20)  # (the embedded hub starts after the inbox)
        with cpu_burner():
            await open_conversation(tmux)
            await asyncio.sleep(1.0)
            before = store.db.execute(durable).fetchone()
            tmux.type(PROSE)
            await asyncio.sleep(2.0)
            pane = tmux.pane()
            assert "Reopen #" in pane, pane  # "o": a question on screen, answered by nothing
            tmux.keys("Escape", "Escape", "Escape")
            await tmux.wait_for("Inbox")
            tmux.type(PROSE)  # ("l" opens a conversation there: its letters are safe too)
            await asyncio.sleep(2.0)
        assert store.db.execute(durable).fetchone() == before
        assert "Traceback" not in tmux.pane()
    finally:
        tmux.kill()
