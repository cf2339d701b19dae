"""The inbox row's deadline column, table-driven: the words, the glyph and the width."""

from __future__ import annotations

import re

import pytest

from omnitui.store.inbox_query import InboxRow
from omnitui.tui.widgets.inbox_row import deadline, inbox_row

NOW = 1_750_000_000.0


def _row(status: str = "open", waiting: float | None = None, due: float | None = None,
         customer: str = "Olga Petrova", labels: tuple[str, ...] = ()) -> InboxRow:
    return InboxRow(1, "mail", "email", 1, customer, "Where is my order?", status, waiting, due,
                    NOW - 60, "ann", True, labels)


@pytest.mark.parametrize(("row", "cell", "style"), [
    (_row(waiting=NOW - 900, due=NOW + 720), "◷ 12m left", "green"),
    (_row(waiting=NOW - 900, due=NOW + 240), "◐ 4m left", "bold yellow"),
    (_row(waiting=NOW - 900, due=NOW - 180), "▲ overdue 3m", "bold red"),
    (_row(waiting=NOW - 300), "○ waiting 5m", "yellow"),
    (_row(status="pending", waiting=NOW - 300), "◇ on customer", "dim"),
    (_row(status="snoozed"), "◌ snoozed", "dim"),
    (_row(status="resolved"), "✓ resolved", "dim"),
])
def test_deadline_words_glyph_and_style(row: InboxRow, cell: str, style: str) -> None:
    due = deadline(row, NOW)
    assert (due.cell(), due.style) == (cell, style)


@pytest.mark.parametrize("width", [80, 100, 120])
def test_row_fills_its_width_and_cuts_with_an_ellipsis(width: int) -> None:
    row = _row(waiting=NOW - 900, due=NOW - 180, customer="Bartholomew Featherstonehaugh-Smythe",
               labels=("vip", "returns"))
    text = inbox_row(row, NOW, width, marked=True)
    assert text.cell_len == width
    assert text.plain.startswith("■●✉ mail")
    assert re.search(r"Bartholomew( \w*)?… ", text.plain), text.plain  # cut, never mid-word
    assert "▲ overdue 3m" in text.plain and "#vip" in text.plain
