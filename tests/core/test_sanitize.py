"""Untrusted text loses everything that could drive a terminal; the rest is kept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnitui.core.sanitize import clean_line, clean_text, is_clean

pytestmark = pytest.mark.engine_free  # opens no store


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain", "plain"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("tab\there", "tab\there"),
        ("\x1b[2Jclear", "[2Jclear"),
        ("\x1b]52;c;SGVsbG8=\x07osc52", "]52;c;SGVsbG8=osc52"),
        ("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "]8;;http://x\\link]8;;\\"),
        ("\x9b31mC1 CSI", "31mC1 CSI"),
        ("evil\u202egnp.exe", "evilgnp.exe"),
        ("\u2066iso\u2069", "iso"),
        ("DEL\x7f", "DEL"),
        ("Привет, cześć, مرحبا", "Привет, cześć, مرحبا"),
        ("[@click=app.quit]x[/]", "[@click=app.quit]x[/]"),  # markup is data, kept verbatim
    ],
)
def test_clean_text_table(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_clean_line_joins_lines() -> None:
    assert clean_line("Re:\r\n  order\t42\x1b[1m") == "Re:   order 42[1m"
    assert clean_line(None) is None


@given(st.text())
def test_clean_text_is_always_clean_and_idempotent(text: str) -> None:
    once = clean_text(text)
    assert is_clean(once)
    assert clean_text(once) == once


@given(st.text())
def test_clean_line_has_no_control_characters(text: str) -> None:
    line = clean_line(text) or ""
    assert all(ch >= " " and not ("\x7f" <= ch <= "\x9f") for ch in line)
    assert "\u202e" not in line


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs"))))
def test_printable_text_survives(text: str) -> None:
    bidi = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert clean_text(text) == "".join(ch for ch in text if ch not in bidi)
