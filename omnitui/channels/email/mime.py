"""Raw RFC 5322 bytes → the parts an agent reads: text, sender, thread ids, attachments.

Pure functions, tested table-driven. Mail in the wild lies about its charset, breaks its MIME
boundaries and carries 8-bit headers, so every step here degrades instead of raising; only mail
with nothing usable in it raises `MailParseError` (the channel then quarantines it).
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

import html2text

from omnitui.channels.base import InboundAttachment
from omnitui.channels.email.bigmime import message_from_bytes

MSGID_RE = re.compile(r"<[^<>\s]{1,900}>")
# Charsets that decode any byte string, so a strict decode "succeeding" proves nothing.
_PERMISSIVE = {"us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252"}


_RECIPIENT_HEADERS = {"to", "cc", "delivered-to", "x-original-to"}


class MailParseError(ValueError):
    """The bytes hold nothing that can be shown as a message; quarantine them."""


@dataclass(slots=True)
class ParsedMail:
    """What the channel needs from one message; strings are untrusted and unsanitised."""

    message: Message
    from_addr: str
    from_name: str | None
    subject: str | None
    message_id: str | None
    sent_at: datetime | None
    thread_refs: tuple[str, ...]
    recipients: tuple[str, ...]
    text: str
    from_html: bool = False
    attachments: list[InboundAttachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode a body as declared, falling back when the declaration is wrong or unknown."""
    declared = (charset or "us-ascii").strip().strip('"').lower()
    if declared in _PERMISSIVE:
        # Mail labelled ASCII/Latin-1 that is valid UTF-8 is almost always mislabelled UTF-8.
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("windows-1252", errors="replace")
    for candidate in (declared, "utf-8"):
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    try:
        return data.decode(declared, errors="replace")
    except LookupError:
        return data.decode("windows-1252", errors="replace")


def clean_header(value: object) -> str:
    """A header as text without surrogates: raw 8-bit headers are read as UTF-8, else cp1252."""
    text = str(value)
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        raw = text.encode("utf-8", errors="surrogateescape")
        text = decode_bytes(raw, "us-ascii")  # UTF-8 if valid, else cp1252
    if "=?" in text:
        with contextlib.suppress(LookupError, UnicodeError, ValueError, HeaderParseError):
            text = str(make_header(decode_header(text)))
    return text.encode("utf-8", errors="replace").decode("utf-8")


def header(msg: Message, name: str) -> str | None:
    """One header's decoded, unfolded value, or None; never raises on malformed encoded words.

    Read from the raw value: the header registry turns 8-bit bytes into U+FFFD and can raise.
    """
    value = _raw_header(msg, name)
    if value is None:
        return None
    return clean_header(re.sub(r"\r?\n[ \t]*", " ", value)).strip()


def _raw_header(msg: Message, name: str) -> str | None:
    items = msg.raw_items() if hasattr(msg, "raw_items") else msg.items()
    for key, value in items:
        if key.lower() == name.lower():
            return str(value)
    return None


def msgids(value: str | None) -> list[str]:
    """Every <id> in a Message-ID / In-Reply-To / References value, in order."""
    return MSGID_RE.findall(value or "")


def thread_refs(msg: Message) -> tuple[str, ...]:
    """In-Reply-To, then References newest first, without repeats: nearest parent first."""
    ordered = msgids(header(msg, "In-Reply-To")) + list(reversed(msgids(header(msg, "References"))))
    seen: dict[str, None] = {}
    for ref in ordered:
        seen.setdefault(ref, None)
    return tuple(seen)[:100]


def html_to_text(html: str) -> str:
    """Readable text from HTML: links listed at the end, images as alt text, nothing fetched."""
    conv = html2text.HTML2Text()
    conv.inline_links = False
    conv.body_width = 0
    conv.images_to_alt = True
    conv.ignore_emphasis = True
    conv.unicode_snob = True
    try:
        return conv.handle(html).strip("\n")
    except Exception:  # html2text on adversarial markup: show the markup rather than lose it
        return html


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse one message. Raises MailParseError only when there is nothing to show."""
    if not raw.strip():
        raise MailParseError("empty message (zero bytes)")
    try:
        msg = message_from_bytes(raw)  # the stdlib's parse, without its per-line base64 cost
    except Exception as exc:  # pragma: no cover - the parser is lenient by design
        raise MailParseError(f"cannot parse MIME structure: {exc}") from None
    if not msg.keys():
        raise MailParseError("no headers found")
    from_value = ""
    for name in ("From", "Sender", "Return-Path"):
        from_value = _raw_header(msg, name) or ""
        if from_value.strip():
            break
    pairs = _addresses([from_value])
    if not pairs:
        raise MailParseError(f"no sender address in From {from_value[:200]!r}")
    from_name, from_addr = pairs[0][0], pairs[0][1].lower()
    ids = msgids(header(msg, "Message-ID"))
    recipients = tuple(a for _, a in _addresses(
        [v for k, v in msg.raw_items() if k.lower() in _RECIPIENT_HEADERS]
    ))
    text, from_html, attachments = extract_body(msg)
    defects = [type(d).__name__ for d in getattr(msg, "defects", [])]
    return ParsedMail(
        message=msg,
        from_addr=from_addr,
        from_name=from_name or None,
        subject=header(msg, "Subject"),
        message_id=ids[0] if ids else None,
        sent_at=_date(header(msg, "Date")),
        thread_refs=thread_refs(msg),
        recipients=recipients,
        text=text,
        from_html=from_html,
        attachments=attachments,
        defects=defects,
    )


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    """(name, address) pairs; fall back to a bare a@b search when the syntax is broken."""
    out: list[tuple[str, str]] = []
    for value in values:
        value = re.sub(r"\r?\n[ \t]*", " ", str(value))
        try:
            parsed = getaddresses([value])
        except Exception:
            parsed = []
        got = [(clean_header(n), clean_header(a).strip()) for n, a in parsed if "@" in a]
        if not got:
            bare = re.findall(r"[^\s<>\"',;:]+@[^\s<>\"',;:]+", value)
            got = [("", clean_header(m)) for m in bare]
        out.extend(got)
    return out


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def extract_body(msg: Message) -> tuple[str, bool, list[InboundAttachment]]:
    """Body text (text/plain preferred), whether it came from HTML, and the attachments."""
    plain: list[str] = []
    html: list[str] = []
    attachments: list[InboundAttachment] = []
    forwarded: list[str] = []
    _walk(msg, plain, html, attachments, forwarded, depth=0)
    if plain:
        text, from_html = "\n\n".join(plain), False
    elif html:
        text, from_html = "\n\n".join(html_to_text(h) for h in html), True
    else:
        text, from_html = "", False
    if forwarded:
        text = "\n\n".join([text, *forwarded]) if text else "\n\n".join(forwarded)
    text = text.replace("\r\n", "\n").replace("\r", "\n").rstrip()
    return text, from_html, attachments


def _walk(
    part: Message,
    plain: list[str],
    html: list[str],
    attachments: list[InboundAttachment],
    forwarded: list[str],
    depth: int,
) -> None:
    """Collect body texts and attachments; multipart/alternative keeps only its best text."""
    if depth > 30:  # hostile nesting
        return
    ctype = part.get_content_type()
    if ctype == "message/rfc822":
        _nested(part, attachments, forwarded, depth)
        return
    if part.is_multipart():
        children = part.get_payload()
        if not isinstance(children, list):
            children = []
        if ctype == "multipart/alternative":
            texts = [c for c in children if not _is_attachment(c)]
            best = next((c for c in texts if c.get_content_type() == "text/plain"), None)
            best = best or next((c for c in texts if c.get_content_type() == "text/html"), None)
            best = best or next((c for c in texts if c.is_multipart()), None)
            for child in children:
                if child is best or _is_attachment(child):
                    _walk(child, plain, html, attachments, forwarded, depth + 1)
            return
        for child in children:
            if isinstance(child, Message):
                _walk(child, plain, html, attachments, forwarded, depth + 1)
        return
    if part.get_content_maintype() == "multipart":
        # Boundaries broken: the parser kept the body as one string. Show it rather than lose it.
        plain.append(_text_of(part))
        return
    if not _is_attachment(part) and ctype in ("text/plain", "text/html"):
        text = _text_of(part)
        (plain if ctype == "text/plain" else html).append(text)
        return
    if not _is_attachment(part) and ctype.startswith("text/") and not _filename(part):
        plain.append(_text_of(part))
        return
    data = _payload(part)
    attachments.append(
        InboundAttachment(
            filename=_filename(part) or f"attachment-{len(attachments) + 1}",
            content_type=ctype,
            size=len(data),
            data=data,
        )
    )


def _nested(
    part: Message, attachments: list[InboundAttachment], forwarded: list[str], depth: int
) -> None:
    """A forwarded message: keep it as an .eml attachment and show its text below the body."""
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(inner, Message):
        data = _payload(part)
        attachments.append(InboundAttachment("forwarded.eml", "message/rfc822", len(data), data))
        return
    try:
        data = inner.as_bytes(policy=email.policy.compat32)
    except Exception:
        data = _payload(part)
    subject = header(inner, "Subject") or ""
    name = _filename(part) or "forwarded.eml"
    attachments.append(InboundAttachment(name, "message/rfc822", len(data), data))
    p: list[str] = []
    h: list[str] = []
    _walk(inner, p, h, attachments, forwarded, depth + 1)
    body = "\n\n".join(p) if p else "\n\n".join(html_to_text(x) for x in h)
    lines = ["---------- Forwarded message ----------"]
    for key in ("From", "Date", "Subject", "To"):
        value = header(inner, key)
        if value:
            lines.append(f"{key}: {value}")
    forwarded.append("\n".join(lines) + "\n\n" + body if subject or body else "\n".join(lines))


def _is_attachment(part: Message) -> bool:
    try:
        disposition = (part.get_content_disposition() or "").lower()
    except Exception:
        disposition = ""
    return disposition == "attachment" or (disposition != "inline" and bool(_filename(part)))


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    return clean_header(name) if name else None


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", errors="surrogateescape")
    return b""


def _text_of(part: Message) -> str:
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return decode_bytes(_payload(part), charset)
