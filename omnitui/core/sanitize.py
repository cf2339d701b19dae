"""Untrusted text is data: strip what could drive a terminal or reorder what an agent reads.

Removed: C0 controls except newline and tab (so ESC, and with it CSI/OSC sequences, lose their
introducer), DEL, C1 controls (U+0080–U+009F, which include 8-bit CSI and OSC), and the bidi
embedding/override/isolate controls that can disguise text (U+202A–U+202E, U+2066–U+2069).
Carriage returns become newlines so "\r\n" mail and "\r" overwrite tricks both read as lines.
"""

from __future__ import annotations

import re

_CRLF = re.compile(r"\r\n?")
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_ONE_LINE_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """Multi-line customer text, safe to store and display."""
    if not text:
        return ""
    return _UNSAFE.sub("", _CRLF.sub("\n", text))


def clean_line(text: str | None) -> str | None:
    """A one-line value (a name, a subject, a file name): line breaks become spaces."""
    if text is None:
        return None
    return _ONE_LINE_UNSAFE.sub("", _CRLF.sub(" ", text).replace("\n", " ").replace("\t", " "))


def is_clean(text: str) -> bool:
    return _UNSAFE.search(text) is None and "\r" not in text
