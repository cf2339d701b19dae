"""Files uuencoded into a plain-text body (`begin 644 name` … `end`), as older mailers send them.

Why: shown as text they are screens of line noise and the agent never learns a file was sent;
mail clients decode them into attachments, so the ingest does too. Decoding is the tolerant one
of the old `uu` module: a line whose padding was trimmed in transit still decodes.
"""

from __future__ import annotations

import binascii
import re

_BLOCK = re.compile(
    r"^begin[ \t]+([0-7]{3,4})[ \t]+([^\r\n]+?)[ \t]*\r?\n"
    r"((?:[\x20-\x60][^\r\n]*\r?\n)*?)"
    r"end[ \t]*\r?$\n?",
    re.M,
)


def split_uuencoded(text: str) -> tuple[str, list[tuple[str, bytes]]]:
    """The text without its uuencoded blocks, and each block's (file name, bytes)."""
    if "begin " not in text:
        return text, []
    files: list[tuple[str, bytes]] = []

    def take(m: re.Match[str]) -> str:
        data = _decode(m.group(3))
        if data is None:
            return m.group(0)
        files.append((m.group(2).strip(), data))
        return ""

    rest = _BLOCK.sub(take, text)
    return (rest, files) if files else (text, [])


def _decode(body: str) -> bytes | None:
    out = bytearray()
    for line in body.splitlines():
        if not line or line in ("`", " "):
            continue
        try:
            out += binascii.a2b_uu(line)
        except binascii.Error:
            # Trailing garbage or trimmed padding: decode exactly the bytes the count names.
            count = ((ord(line[0]) - 32) & 63) * 4 + 5
            try:
                out += binascii.a2b_uu(line[: count // 3])
            except binascii.Error:
                return None
        except UnicodeEncodeError:
            return None
    return bytes(out)
