"""Right-to-left text: the display helpers, the `[console] bidi` switch, stored text untouched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.cells import cell_len

from omnitui.config import ConfigError, parse_settings
from omnitui.tui import rtl
from omnitui.tui.format import display, pad

ARABIC = "مرحبا، وصلني المنتج مكسورا. هل يمكنني إرجاعه؟ رقم الطلب 77801"
HEBREW = "שלום, ההזמנה שלי לא הגיעה"


@pytest.fixture(autouse=True)
def app_mode() -> Iterator[None]:
    rtl.set_mode("app")
    yield
    rtl.set_mode("app")


def test_arabic_is_put_in_visual_order_and_numbers_keep_theirs() -> None:
    shown = display(ARABIC)
    assert shown != ARABIC and sorted(shown) == sorted(ARABIC)
    # The sentence's first word is drawn rightmost; the order number still reads 77801.
    assert shown.endswith("ابحرم") and "77801" in shown


def test_latin_text_is_left_alone() -> None:
    assert display("Where is order #10482?") == "Where is order #10482?"
    assert display("Order 12: مرحبا") == "Order 12: ابحرم"  # an LTR line with an RTL word


def test_cut_before_reordering_keeps_the_beginning_and_ends_in_an_ellipsis() -> None:
    shown = display(ARABIC, 12)
    assert cell_len(shown) <= 12
    assert shown.startswith("…") and shown.endswith("ابحرم")  # the start is on the right
    assert display("Emma Johnson has a long name", 14) == "Emma Johnson…"
    assert cell_len(pad("أحمد الفارسي", 20)) == 20


def test_wide_characters_are_never_cut_in_half() -> None:
    assert rtl.fit("注文が届きません", 7) == "注文が…"
    assert cell_len(rtl.fit("注文が届きません", 7)) <= 7


def test_rtl_paragraphs_wrap_first_then_reorder_and_align_right() -> None:
    lines = rtl.block_lines(f"Hello\n{ARABIC}\n{HEBREW}", 20)
    assert lines[0] == ("Hello", False)
    arabic = [line for line, right in lines[1:] if right and "ا" in line]
    assert len(arabic) >= 3 and all(cell_len(line) <= 20 for line in arabic)
    assert arabic[0].endswith("ابحرم")  # the paragraph's first words are on its first line
    assert any(right and "שלום" in line[::-1] for line, right in lines)


def test_terminal_mode_changes_nothing() -> None:
    rtl.set_mode("terminal")
    assert display(ARABIC) == ARABIC
    assert rtl.block_lines(ARABIC, 20) == [(ARABIC, False)]


@pytest.mark.parametrize(("env", "reorders"), [
    ({}, True), ({"VTE_VERSION": "7200"}, False), ({"VTE_VERSION": "5202"}, True),
    ({"KONSOLE_VERSION": "230804"}, False), ({"MLTERM": "3.9.3"}, False),
])
def test_auto_leaves_it_to_terminals_that_reorder(env: dict[str, str], reorders: bool) -> None:
    rtl.set_mode("auto", env)
    assert rtl.reorders() is reorders


def test_config_key_is_validated(tmp_path: Path) -> None:
    base = {"omnitui": {"data_dir": str(tmp_path)}}
    assert parse_settings(base, None).bidi == "auto"
    assert parse_settings({**base, "console": {"bidi": "terminal"}}, None).bidi == "terminal"
    with pytest.raises(ConfigError, match=r"'console\.bidi' .* must be one of 'auto', 'app', "
                                          r"'terminal', not 'rtl'"):
        parse_settings({**base, "console": {"bidi": "rtl"}}, None)
    with pytest.raises(ConfigError, match=r"Unknown key 'console\.bidy'"):
        parse_settings({**base, "console": {"bidy": "app"}}, None)
