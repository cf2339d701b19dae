"""Headers as mail clients read them: the parse policy, the header block's repair, decoding.

Why a policy of our own: the stdlib's compat32 parse is the lenient one real mail needs, but on
fetch it turns 8-bit header bytes into an unknown-8bit `Header` whose text is U+FFFD (a raw UTF-8
or Latin-1 file name is lost before any charset guess), and it leaves a quoted parameter folded
across lines with the fold inside (a folded `boundary="…"` then matches no line of the body, and
the whole mail shows as raw MIME). `MailPolicy` keeps the bytes recoverable (surrogate escapes)
and joins folded quoted parameters as the senders meant them.

Why a repair before parsing: the stdlib parser ends the header block at the first line that is
not a header, so one stray line (`quite Delivered-To: …`) or the obsolete `Name  :` syntax of
RFC 5322 §4.5 turns every later header into body text, the From with them.
"""

from __future__ import annotations

import binascii
import re
from email._policybase import Compat32

from omnitui.channels.email.charsets import codec_for, decode_bytes, decode_header_bytes

_FOLD = re.compile(r"\r?\n[ \t]*")
_QUOTED = re.compile(r'(boundary\s*=\s*)?("(?:[^"\\]|\\.)*")', re.S | re.I)
_PARAM_HEADERS = frozenset({"content-type", "content-disposition"})
_HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+:")
_OBSOLETE_LINE = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]+:")
_BLOCK_END = re.compile(rb"\r?\n\r?\n")
_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"[ \t\r\n]*")
_SURROGATE = re.compile("[\udc80-\udcff]")  # a raw 8-bit byte, as the bytes parser keeps it
_UTF7_RUN = re.compile(r"\+[A-Za-z0-9+/]+-?")


class MailPolicy(Compat32):
    """compat32, except that fetched values stay plain strings (8-bit bytes as surrogate
    escapes, for the caller to decode with a charset guess) and quoted Content-Type /
    Content-Disposition parameters folded across lines are unfolded as their senders meant."""

    def header_fetch_parse(self, name: str, value: object) -> object:
        if not isinstance(value, str):
            return value
        if "\n" in value and name.lower() in _PARAM_HEADERS:
            value = _FOLD.sub(" ", _QUOTED.sub(_unfold_quoted, value))
        return value


POLICY = MailPolicy()


def _unfold_quoted(m: re.Match[str]) -> str:
    """A fold inside a quoted boundary is the mailer's line length, never part of the boundary
    (the body's delimiter lines show it); elsewhere unfolding keeps one space (RFC 5322 §2.2.3)."""
    joiner = "" if m.group(1) else " "
    return (m.group(1) or "") + _FOLD.sub(joiner, m.group(2))


def repair_header_block(raw: bytes) -> tuple[bytes, list[str]]:
    """The raw mail with its top-level header block made parseable, and what was repaired.

    `Name  : value` (obsolete white space before the colon) becomes `Name: value`; a line that
    is neither a header nor a continuation is dropped when a header or a continuation follows it
    (otherwise it is where the body starts, the blank line missing, and is left alone)."""
    end = _BLOCK_END.search(raw)
    block = raw[: end.start()] if end else raw
    lines = block.split(b"\n")
    first_ok = _HEADER_LINE.match(lines[0]) or (
        lines[0].startswith(b"From ") and not _OBSOLETE_LINE.match(lines[0])
    )
    if first_ok and all(_HEADER_LINE.match(x) or x[:1] in (b" ", b"\t") for x in lines[1:]):
        return raw, []
    repairs: list[str] = []
    out: list[bytes] = []
    for i, line in enumerate(lines):
        if _HEADER_LINE.match(line) or line[:1] in (b" ", b"\t"):
            out.append(line)
            continue
        obsolete = _OBSOLETE_LINE.match(line)
        if obsolete:
            out.append(obsolete.group(1) + b":" + line[obsolete.end():])
            repairs.append("ObsoleteHeaderSyntax")
            continue
        if i == 0 and line.startswith(b"From "):  # an mbox separator line
            out.append(line)
            continue
        following = lines[i + 1] if i + 1 < len(lines) else b""
        if _HEADER_LINE.match(following) or _OBSOLETE_LINE.match(following) or (
            following[:1] in (b" ", b"\t")
        ):
            repairs.append("InvalidHeaderLineDropped")
            continue
        return raw, repairs  # the body begins here: nothing more is a header
    return b"\n".join(out) + (raw[end.start():] if end else b""), repairs


def header_text(value: object, hint: str | None = None, *, words: bool = True) -> str:
    """A raw header value as text: unfolded, 8-bit bytes read as UTF-8 (else `hint`, the
    message's charset, else Windows-1252), RFC 2047 words decoded unless `words` is false (an
    address list is parsed first); no surrogates."""
    text = _FOLD.sub(" ", str(value))
    text = decode_words(text, hint) if words and "=?" in text else _plain(text, hint)
    return text.encode("utf-8", errors="replace").decode("utf-8")


def _plain(text: str, hint: str | None) -> str:
    """Header text outside encoded words: raw 8-bit bytes (surrogate escapes) by charset guess;
    7-bit text in a message labelled UTF-7 read as UTF-7."""
    if not text.isascii() and _SURROGATE.search(text):
        return decode_header_bytes(text.encode("ascii", errors="surrogateescape"), hint)
    if "+" in text and codec_for(hint) == "utf-7":
        return _UTF7_RUN.sub(_utf7, text)
    return text


def decode_words(text: str, hint: str | None = None) -> str:
    """RFC 2047 encoded words, tolerant: white space between two words is dropped (§6.2),
    adjacent words in one charset are joined before decoding (a character split across two
    words survives), labels go through the superset table, raw 8-bit bytes inside a word are
    read in the word's charset, broken words are kept as text. `text` may hold surrogate
    escapes (raw 8-bit bytes), which are decoded here."""
    out: list[str] = []
    pos = 0
    pending: list[tuple[str, bytes]] = []  # (charset, bytes) of adjacent words

    def flush() -> None:
        for charset, data in _merge(pending):
            out.append(decode_bytes(data, charset, hint))
        pending.clear()

    for m in _ENCODED_WORD.finditer(text):
        gap = text[pos:m.start()]
        if not (pending and _BETWEEN_WORDS.fullmatch(gap)):
            flush()
            out.append(_plain(gap, hint))
        data = _word_bytes(m.group(2), m.group(3))
        if data is None:
            flush()
            out.append(m.group(0))
        else:
            pending.append((m.group(1), data))
        pos = m.end()
    flush()
    out.append(_plain(text[pos:], hint))
    return "".join(out)


def _merge(words: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    merged: list[tuple[str, bytes]] = []
    for charset, data in words:
        if merged and merged[-1][0].lower() == charset.lower():
            merged[-1] = (charset, merged[-1][1] + data)
        else:
            merged.append((charset, data))
    return merged


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    try:
        if encoding in "bB":
            cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
            return binascii.a2b_base64(cleaned + "=" * (-len(cleaned) % 4))
        raw = payload.replace("_", " ").encode("ascii", errors="surrogateescape")
        return binascii.a2b_qp(raw)
    except (binascii.Error, ValueError):
        return None


def _utf7(m: re.Match[str]) -> str:
    try:
        return m.group(0).encode("ascii").decode("utf-7")
    except UnicodeError:
        return m.group(0)
