"""Who sent a mail, as an address a reply can reach, or a clear reason why there is none.

Why strict: the sender's address becomes a customer identity. `From: Big Bug bb@bug.com` parsed
loosely is the "address" `big bug bb@bug.com`, and `From: tim@a.example concierge@a.example`
becomes `@a.example`, which every such mail would share: replies bounce and unrelated people fold
into one customer. So an address is taken only when it is a valid addr-spec (RFC 5322, with the
UTF-8 of RFC 6532); otherwise the first valid address written in the value is used, and a value
with none is quarantined with a sentence saying so.
"""

from __future__ import annotations

import re
from email.utils import getaddresses

from omnitui.channels.email.headers import decode_words, header_text

_WIDE = "\u0080-\U0010ffff"  # RFC 6532: UTF-8 in addresses
_ATOM = rf"[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~\-{_WIDE}]+"
_LABEL = rf"[A-Za-z0-9{_WIDE}](?:[A-Za-z0-9\-{_WIDE}]*[A-Za-z0-9{_WIDE}])?"
ADDR_SPEC = re.compile(
    rf'(?:{_ATOM}(?:\.{_ATOM})*|"(?:[^"\\\r\n]|\\.)+")@(?:{_LABEL}(?:\.{_LABEL})*|\[[^\[\]\\\s]+\])'
)
_CANDIDATE = re.compile(r"[^\s<>\"',;:()\[\]]+@[^\s<>\"',;:()\[\]]+")
SENDER_HEADERS = ("From", "Sender", "Return-Path")


class NoSender(ValueError):
    """The mail names nobody a reply could reach."""


def is_address(value: str) -> bool:
    return ADDR_SPEC.fullmatch(value) is not None


def sender(values: dict[str, str], hint: str | None = None) -> tuple[str, str]:
    """(display name, lower-cased address) from the first of From, Sender, Return-Path that has
    a value; raises NoSender with the reason when there is no valid address in it."""
    for name in SENDER_HEADERS:
        value = values.get(name.lower(), "")
        if value.strip():
            found = addresses(value, hint)
            if found:
                display, address = found[0]
                return display, address.lower()
            shown = header_text(value, hint).strip()[:200]
            raise NoSender(f"the sender ({name}: {shown!r}) is not a valid email address")
    raise NoSender("the mail has no sender (no From, Sender or Return-Path header)")


def addresses(value: str, hint: str | None = None) -> list[tuple[str, str]]:
    """Every valid (name, address) in one header value; names decoded, addresses as written."""
    text = header_text(value, hint, words=False)
    found = _parsed(text, hint)
    if found:
        return found
    if "=?" in text:  # an address hidden in an encoded word
        found = _parsed(decode_words(text, hint), hint)
        if found:
            return found
    return _written(header_text(value, hint))


def _parsed(text: str, hint: str | None) -> list[tuple[str, str]]:
    try:
        pairs = getaddresses([text])
    except Exception:  # the stdlib's parser on adversarial input
        return []
    return [
        (decode_words(name, hint).strip(), address.strip())
        for name, address in pairs if is_address(address.strip())
    ]


def _written(text: str) -> list[tuple[str, str]]:
    """Valid addresses typed into a broken value (`Big Bug bb@bug.com`); the words before the
    first one are its name."""
    found: list[tuple[str, str]] = []
    for m in _CANDIDATE.finditer(text):
        address = m.group(0).strip(".")
        if is_address(address):
            name = "" if found else text[: m.start()].strip(" \t\"'<>,;")
            found.append((name, address))
    return found
