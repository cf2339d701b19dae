"""Right-to-left text for terminals that print cells in the order they are given.

Arabic and Hebrew are stored in logical (typing) order. Most terminals draw characters left to
right as they arrive, so a stored Arabic sentence reads backwards. In `app` mode the console
reorders each visual line with the Unicode Bidirectional Algorithm (python-bidi) just before
drawing; in `terminal` mode it leaves text alone for terminals that reorder by themselves
(mlterm, Konsole, VTE-based ones such as GNOME Terminal). Stored text is never changed: only
the strings handed to the screen are.

Reordering is per line, after wrapping: a paragraph is first cut into lines in logical order,
then each line is reordered, which is what the algorithm prescribes (reordering first and then
wrapping would put a paragraph's end on its first line).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from rich.cells import cell_len

from omnitui.config import BIDI_MODES

# Strong right-to-left letters: Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic and
# their presentation forms. A line without one needs no work (the common case, kept fast).
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\U00010800-\U00010fff"
                  "\U0001e800-\U0001efff]")

_reorder = True  # the effective mode: True = the app reorders, False = the terminal does


def terminal_reorders(env: Mapping[str, str]) -> bool:
    """Whether the terminal named by the environment reorders RTL text by itself: mlterm,
    Konsole, and VTE 0.58 or later (GNOME Terminal, Tilix, …). Over SSH these variables are
    usually not passed on, so `auto` then means the app reorders."""
    if env.get("MLTERM") or env.get("KONSOLE_VERSION"):
        return True
    vte = env.get("VTE_VERSION", "")
    return vte.isdigit() and int(vte) >= 5800


def set_mode(mode: str, env: Mapping[str, str] | None = None) -> None:
    """Set the console's mode once at start, from `[console] bidi`."""
    global _reorder
    if mode not in BIDI_MODES:
        raise ValueError(f"bidi mode must be one of {', '.join(BIDI_MODES)}, not {mode!r}")
    if mode == "auto":
        _reorder = not terminal_reorders(os.environ if env is None else env)
    else:
        _reorder = mode == "app"


def reorders() -> bool:
    return _reorder


def has_rtl(text: str) -> bool:
    return _RTL.search(text) is not None


def get_base_level(text: str) -> int:
    """python-bidi's, imported on the first right-to-left text (not at start-up)."""
    from bidi import get_base_level as base_level

    return int(base_level(text))


def get_display(text: str, base_dir: str | None = None) -> str:
    """python-bidi's visual order, imported on the first right-to-left text."""
    from bidi import get_display as visual

    return str(visual(text) if base_dir is None else visual(text, base_dir=base_dir))


def is_rtl(line: str) -> bool:
    """Whether a paragraph reads right to left: its first strong letter is RTL."""
    return has_rtl(line) and get_base_level(line) == 1


def display(line: str) -> str:
    """One line as it should be drawn (visual order in `app` mode; unchanged otherwise)."""
    if not _reorder or not has_rtl(line):
        return line
    if "\n" in line:
        return "\n".join(display(part) for part in line.split("\n"))
    return get_display(line)


def fit(text: str, width: int) -> str:
    """`text` cut to `width` cells, ending in "…" when it was longer: at a word's end when
    one is near, never mid-character. Cut in logical order, before `display`, so an RTL text
    loses its logical end."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = cell_len(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    kept = "".join(out)
    space = kept.rfind(" ")
    if text[len(kept)] != " " and space >= len(kept) * 2 // 3:
        kept = kept[:space]  # end at a word's end when that costs little room
    return kept.rstrip() + "…"


def wrap(paragraph: str, width: int) -> list[str]:
    """A paragraph cut into lines of at most `width` cells at spaces (a word longer than a
    line is cut), in logical order."""
    if width <= 0 or cell_len(paragraph) <= width:
        return [paragraph]
    lines: list[str] = []
    current: list[str] = []
    used = 0
    for word in paragraph.split(" "):
        w = cell_len(word)
        if current and used + 1 + w <= width:
            current.append(word)
            used += 1 + w
            continue
        if current:
            lines.append(" ".join(current))
        while w > width:
            head = fit(word, width + 1)[:-1] or word[:1]  # the widest prefix that fits
            lines.append(head)
            word = word[len(head):]
            w = cell_len(word)
        current, used = [word], w
    lines.append(" ".join(current))
    return lines


def block_lines(text: str, width: int) -> list[tuple[str, bool]]:
    """A multi-line text as (line, right_aligned) pairs ready to draw in `width` cells. In
    `app` mode a paragraph with right-to-left letters is wrapped, then each line reordered in
    the paragraph's direction, and an RTL paragraph is flagged for right alignment; other
    paragraphs come back as they are (the caller's widget wraps them)."""
    out: list[tuple[str, bool]] = []
    for paragraph in text.split("\n"):
        if not _reorder or not has_rtl(paragraph):
            out.append((paragraph, False))
            continue
        right = get_base_level(paragraph) == 1
        base = "R" if right else "L"
        out.extend((get_display(line, base_dir=base), right)
                   for line in wrap(paragraph, width))
    return out
