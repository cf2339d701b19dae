"""Recognise mail no human wrote: auto-replies, bounces and bulk mail.

Why: a help desk that answers an out-of-office or a bounce starts a mail loop, and a bounce is the
only news that a reply never arrived. So the channel flags such mail (the core never auto-answers
flagged mail) and, for a bounce, finds the Message-ID of our outgoing message it reports on.
"""

from __future__ import annotations

import re
from email.message import Message
from typing import Any

from omnitui.channels.base import FLAG_AUTO_REPLY, FLAG_BOUNCE, FLAG_BULK
from omnitui.channels.email.mime import clean_header, header, msgids

BOUNCE_SENDERS = ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon")
NOREPLY_RE = re.compile(r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|donotreply|noreply-.*)$", re.I)
_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[- ]?(reply|response|antwort)|out of (the )?office|abwesenheit|"
    r"autosvar|r[ée]ponse automatique)\b",
    re.I,
)


def classify(msg: Message, from_addr: str, subject: str | None) -> tuple[set[str], dict[str, Any]]:
    """Flags for one parsed message and the meta they explain (bounce_of, auto_submitted, …)."""
    flags: set[str] = set()
    meta: dict[str, Any] = {}
    local = from_addr.split("@", 1)[0].lower()

    auto = (header(msg, "Auto-Submitted") or "").strip().lower()
    if auto and not auto.startswith("no"):
        flags.add(FLAG_AUTO_REPLY)
        meta["auto_submitted"] = auto[:100]
    if header(msg, "X-Autoreply") or header(msg, "X-Autorespond") or header(msg, "X-Autoresponse"):
        flags.add(FLAG_AUTO_REPLY)
    if _AUTO_SUBJECT.match(subject or ""):
        flags.add(FLAG_AUTO_REPLY)

    precedence = (header(msg, "Precedence") or "").strip().lower()
    if precedence in ("bulk", "list", "junk"):
        flags.add(FLAG_BULK)
        meta["precedence"] = precedence
    elif precedence == "auto_reply":
        flags.add(FLAG_AUTO_REPLY)
    if header(msg, "List-Id") or header(msg, "List-Unsubscribe"):
        flags.add(FLAG_BULK)
    if NOREPLY_RE.match(local):
        flags.add(FLAG_BULK)
        meta["noreply"] = True

    if _is_bounce(msg, local):
        flags.add(FLAG_BOUNCE)
        flags.discard(FLAG_BULK)
        meta.update(bounce_details(msg))
    return flags, meta


def _is_bounce(msg: Message, local: str) -> bool:
    ctype = msg.get_content_type()
    try:
        report = (msg.get_param("report-type") or "") if ctype == "multipart/report" else ""
    except Exception:
        report = ""
    if ctype == "multipart/report" and str(report).lower() == "delivery-status":
        return True
    if header(msg, "X-Failed-Recipients"):
        return True
    return local in BOUNCE_SENDERS


def bounce_details(msg: Message) -> dict[str, Any]:
    """Which of our Message-IDs the bounce answers, the failed recipient and the reason."""
    details: dict[str, Any] = {}
    original: str | None = None
    for part in _parts(msg):
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            original = original or _original_msgid(part)
        elif ctype in ("message/delivery-status", "message/global-delivery-status"):
            text = _part_text(part)
            m = re.search(r"^Final-Recipient:\s*[^;\n]*;\s*(\S+)", text, re.I | re.M)
            if m:
                details["bounce_recipient"] = m.group(1).strip("<>").lower()
            m = re.search(r"^Status:\s*(\S+)", text, re.I | re.M)
            if m:
                details["bounce_status"] = m.group(1)
            m = re.search(r"^Diagnostic-Code:\s*(.+(?:\n[ \t].+)*)", text, re.I | re.M)
            if m:
                details["bounce_reason"] = " ".join(m.group(1).split())[:500]
    if original is None:
        # Non-standard bounces quote the original headers in the body, or thread to it.
        for part in _parts(msg):
            if part.get_content_maintype() == "text":
                m = re.search(r"^\s*Message-ID:\s*(<[^<>\s]+>)", _part_text(part), re.I | re.M)
                if m:
                    original = m.group(1)
                    break
    if original is None:
        refs = msgids(header(msg, "In-Reply-To")) + msgids(header(msg, "References"))
        original = refs[0] if refs else None
    if original:
        details["bounce_of"] = original
    failed = header(msg, "X-Failed-Recipients")
    if failed and "bounce_recipient" not in details:
        details["bounce_recipient"] = failed.split(",")[0].strip().lower()
    return details


def _parts(msg: Message) -> list[Message]:
    try:
        return list(msg.walk())
    except Exception:
        return [msg]


def _original_msgid(part: Message) -> str | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        ids = msgids(header(payload[0], "Message-ID"))
        if ids:
            return ids[0]
    m = re.search(r"^Message-ID:\s*(<[^<>\s]+>)", _part_text(part), re.I | re.M)
    return m.group(1) if m else None


def _part_text(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):
        return "\n".join(
            "\n".join(f"{k}: {clean_header(v)}" for k, v in p.items()) if isinstance(p, Message)
            else str(p)
            for p in payload
        )
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    return str(payload)
