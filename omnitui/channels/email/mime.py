"""Raw RFC 5322 bytes → the parts an agent reads: text, sender, thread ids, attachments.

Pure functions, tested table-driven. Mail in the wild lies about its charset, breaks its MIME
boundaries and carries 8-bit headers, so every step here degrades instead of raising; only mail
with nothing usable in it, or with no sender a reply could reach, raises `MailParseError` (the
channel then quarantines it). Charsets are read in charsets.py, headers in headers.py, senders
in senders.py, uuencoded files in uuencode.py; this module walks the MIME tree.
"""

from __future__ import annotations

import email.policy
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime

import html2text

from omnitui.channels.base import InboundAttachment
from omnitui.channels.email.bigmime import message_from_bytes
from omnitui.channels.email.charsets import decode_bytes
from omnitui.channels.email.headers import header_text, repair_header_block
from omnitui.channels.email.senders import NoSender, addresses, sender
from omnitui.channels.email.uuencode import split_uuencoded

__all__ = ["MSGID_RE", "MailParseError", "ParsedMail", "clean_header", "decode_bytes",
           "extract_body", "header", "html_to_text", "msgids", "parse_mail", "thread_refs"]

MSGID_RE = re.compile(r"<[^<>\s]{1,900}>")
_RECIPIENT_HEADERS = {"to", "cc", "delivered-to", "x-original-to"}
_NOT_TEXT = {"date", "message-id", "in-reply-to", "references", "received"}  # never UTF-7
# Parts that are data for programs, not text for the agent: kept as files.
_TEXT_AS_FILE = {"text/rfc822-headers"}
# The signature of a multipart/signed: proof for a mail program, not a file the customer sent.
_SIGNATURES = {"application/pgp-signature", "application/pkcs7-signature",
               "application/x-pkcs7-signature"}
_BOUNDARY_LINE = re.compile(
    r"^--([^\r\n\"\\]{1,200}?)[ \t]*\r?\n[\x21-\x39\x3b-\x7e]+:", re.M
)


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


def clean_header(value: object) -> str:
    """A header as text without surrogates: raw 8-bit bytes read as UTF-8, else cp1252."""
    return header_text(value)


def header(msg: Message, name: str) -> str | None:
    """One header's decoded, unfolded value, or None; never raises on malformed encoded words.

    Read from the raw value: the header registry turns 8-bit bytes into U+FFFD and can raise.
    Raw 8-bit or UTF-7 text is read in the message's own charset when it is not UTF-8.
    """
    value = _raw_header(msg, name)
    if value is None:
        return None
    # Only 8-bit bytes, encoded words and UTF-7 text need the charset, and reading it costs a
    # parse of Content-Type: skip it for the many headers without them.
    needs = "=?" in value or not value.isascii() or (
        "+" in value and name.lower() not in _NOT_TEXT)
    hint = _charset(msg) if needs else None
    return header_text(value, hint).strip()


def _raw_header(msg: Message, name: str) -> str | None:
    items = msg.raw_items() if hasattr(msg, "raw_items") else msg.items()
    for key, value in items:
        if key.lower() == name.lower():
            return str(value)
    return None


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:
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
    """Parse one message. Raises MailParseError only when there is nothing to show, or nobody
    a reply could reach."""
    if not raw.strip():
        raise MailParseError("empty message (zero bytes)")
    raw, repairs = repair_header_block(raw)
    try:
        msg = message_from_bytes(raw)  # the stdlib's parse, without its per-line base64 cost
    except Exception as exc:  # pragma: no cover - the parser is lenient by design
        raise MailParseError(f"cannot parse MIME structure: {exc}") from None
    if not msg.keys():
        raise MailParseError("not a mail: no headers found")
    hint = _charset(msg)
    first: dict[str, str] = {}
    for key, value in msg.raw_items():
        first.setdefault(key.lower(), str(value))
    try:
        from_name, from_addr = sender(first, hint)
    except NoSender as exc:
        raise MailParseError(str(exc)) from None
    ids = msgids(header(msg, "Message-ID"))
    recipients = tuple(
        a for k, v in msg.raw_items() if k.lower() in _RECIPIENT_HEADERS
        for _, a in addresses(str(v), hint)
    )
    text, from_html, attachments = extract_body(msg, hint)
    defects = [type(d).__name__ for d in getattr(msg, "defects", [])] + repairs
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


@dataclass(slots=True)
class _Body:
    """What a walk over the MIME tree collects; `hint` is the message's own charset."""

    hint: str | None
    forward_depth: int = 0  # > 0 inside a forwarded message
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[InboundAttachment] = field(default_factory=list)
    forwarded: list[str] = field(default_factory=list)

    def add_file(self, name: str | None, ctype: str, data: bytes) -> None:
        name = name or f"attachment-{len(self.attachments) + 1}"
        self.attachments.append(InboundAttachment(name, ctype, len(data), data))


def extract_body(
    msg: Message, hint: str | None = None
) -> tuple[str, bool, list[InboundAttachment]]:
    """Body text (non-empty text/plain preferred), whether it came from HTML, and every file;
    `hint` is the message's own charset, for parts that declare none."""
    body = _Body(hint or _charset(msg))
    _walk(msg, body, depth=0)
    text, from_html = _main_text(body.plain, body.html)
    if body.forwarded:
        text = "\n\n".join([text, *body.forwarded]) if text else "\n\n".join(body.forwarded)
    text = text.replace("\r\n", "\n").replace("\r", "\n").rstrip()
    return text, from_html, body.attachments


def _main_text(plain: list[str], html: list[str]) -> tuple[str, bool]:
    """The plain parts that say something, else the HTML ones as text: an empty text/plain
    beside a real HTML body must not hide it."""
    said = [p for p in plain if p.strip()]
    if said:
        return "\n\n".join(said), False
    shown = [t for t in (html_to_text(h) for h in html) if t.strip()]
    if shown:
        return "\n\n".join(shown), True
    return "", False


def _walk(part: Message, body: _Body, depth: int, files_only: bool = False,
          attached: bool | None = None) -> None:
    """Collect texts and files. Of a multipart/alternative only the best branch gives text,
    but every branch gives its files (a screenshot pasted into the HTML is still a file the
    customer sent); `files_only` walks such a branch. `attached` is `_is_attachment(part)` when
    the caller already knows it."""
    if depth > 30:  # hostile nesting
        return
    ctype = part.get_content_type()
    if ctype == "message/rfc822":
        _nested(part, body, depth)
        return
    if part.is_multipart():
        payload = part.get_payload()
        children = [c for c in payload if isinstance(c, Message)] if isinstance(payload, list) \
            else []
        if ctype == "multipart/signed":
            children = [c for c in children if c.get_content_type() not in _SIGNATURES]
        attached = [_is_attachment(c) for c in children]
        best = _best_alternative(children, attached) if ctype == "multipart/alternative" \
            else None
        for child, child_attached in zip(children, attached, strict=True):
            _walk(child, body, depth + 1, files_only or (best is not None and child is not best),
                  child_attached)
        return
    if part.get_content_maintype() == "multipart":
        rescued = _rescue_multipart(part)
        if rescued is not None:
            _walk(rescued, body, depth + 1, files_only)
        elif not files_only:  # boundaries beyond repair: show the text rather than lose it
            body.plain.append(_text_of(part, body.hint))
        return
    if attached is None:
        attached = _is_attachment(part)
    if not attached and ctype in ("text/plain", "text/html"):
        if files_only:
            return
        text = _text_of(part, body.hint)
        if ctype == "text/html":
            body.html.append(text)
            return
        text, files = split_uuencoded(text)
        for name, data in files:
            body.add_file(name, mimetypes.guess_type(name)[0] or "application/octet-stream", data)
        body.plain.append(text)
        return
    if not attached and ctype.startswith("text/") and ctype not in _TEXT_AS_FILE \
            and not _filename(part, body.hint):
        if not files_only:
            body.plain.append(_text_of(part, body.hint))
        return
    body.add_file(_filename(part, body.hint), ctype, _payload(part))


def _best_alternative(children: list[Message], attached: list[bool]) -> Message | None:
    """The branch whose text the agent reads: plain text that says something, else the first
    HTML or structured branch, else whatever text there is."""
    texts = [c for c, a in zip(children, attached, strict=True) if not a]
    for child in texts:
        if child.get_content_type() == "text/plain" and _text_of(child, None).strip():
            return child
    for child in texts:
        if child.get_content_type() == "text/html" or child.is_multipart():
            return child
    return texts[0] if texts else None


def _rescue_multipart(part: Message) -> Message | None:
    """A multipart whose declared boundary matches no line (mangled in transit): parse it again
    with the boundary its body actually uses, the first `--…` line followed by a header."""
    payload = part.get_payload()
    if not isinstance(payload, str):
        return None
    m = _BOUNDARY_LINE.search(payload)
    if m is None:
        return None
    head = f'Content-Type: {part.get_content_type()}; boundary="{m.group(1)}"\r\n\r\n'
    try:
        again = message_from_bytes(
            head.encode() + payload.encode("ascii", errors="surrogateescape")
        )
    except Exception:
        return None
    children = again.get_payload()
    return again if again.is_multipart() and isinstance(children, list) and children else None


def _nested(part: Message, body: _Body, depth: int) -> None:
    """A forwarded message: keep it as an .eml attachment and show its text below the body.
    Messages forwarded inside it are shown, not attached again: its .eml holds them already."""
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(inner, Message):
        body.add_file("forwarded.eml", "message/rfc822", _payload(part))
        return
    try:
        data = inner.as_bytes(policy=email.policy.compat32)
    except Exception:
        data = _payload(part)
    subject = header(inner, "Subject") or ""
    if not body.forward_depth:
        body.add_file(_filename(part, body.hint) or "forwarded.eml", "message/rfc822", data)
    inner_body = _Body(_charset(inner) or body.hint, body.forward_depth + 1,
                       attachments=body.attachments, forwarded=body.forwarded)
    _walk(inner, inner_body, depth + 1)
    text, _ = _main_text(inner_body.plain, inner_body.html)
    lines = ["---------- Forwarded message ----------"]
    for key in ("From", "Date", "Subject", "To"):
        value = header(inner, key)
        if value:
            lines.append(f"{key}: {value}")
    body.forwarded.append(
        "\n".join(lines) + "\n\n" + text if subject or text else "\n".join(lines)
    )


def _is_attachment(part: Message) -> bool:
    try:
        disposition = (part.get_content_disposition() or "").lower()
    except Exception:
        disposition = ""
    return disposition == "attachment" or (disposition != "inline" and bool(_filename(part, None)))


def _filename(part: Message, hint: str | None) -> str | None:
    """The file name from Content-Disposition `filename` or Content-Type `name`: RFC 2231 in
    its declared charset, RFC 2047 words, raw 8-bit bytes by charset guess."""
    for param, where in (("filename", "content-disposition"), ("name", "content-type")):
        try:
            value = part.get_param(param, None, where)
        except Exception:
            continue
        if isinstance(value, tuple):  # RFC 2231: (charset, language, %-decoded text)
            charset, _, text = value
            try:
                raw = str(text).encode("latin-1", errors="surrogateescape")
            except UnicodeEncodeError:
                raw = str(text).encode("utf-8", errors="surrogateescape")
            name = decode_bytes(raw, charset or None, hint or _charset(part))
        elif value:
            name = header_text(value, hint or _charset(part))
        else:
            continue
        name = name.strip()
        if name:
            return name
    return None


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


def _text_of(part: Message, hint: str | None) -> str:
    return decode_bytes(_payload(part), _charset(part), hint)
