"""One fetched message → one `Inbound`: parsed, flagged, or quarantined with its raw bytes.

Why a separate step: it is pure (bytes in, dataclass out), so the IMAP loop can run it in a worker
thread and the tests can run it over a corpus without a server.
"""

from __future__ import annotations

import hashlib
import re

from omnitui.channels.base import FLAG_QUARANTINED, Inbound
from omnitui.channels.email.flags import classify
from omnitui.channels.email.mime import MailParseError, parse_mail
from omnitui.channels.email.senders import is_address
from omnitui.channels.email.tokens import find_token


def external_id(raw: bytes) -> str:
    """Content address of the raw message.

    Why not the UID: UIDs restart when UIDVALIDITY changes, and a rescan must find every message
    already stored. The raw bytes (which include the Message-ID) identify a message across such a
    rescan, while two different mails that reuse one Message-ID stay two messages.
    """
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def to_inbound(raw: bytes, channel: str, address: str, uid: int | None = None) -> Inbound:
    """Parse one message; any failure gives a quarantined Inbound that keeps the raw bytes."""
    ext = external_id(raw)
    meta: dict[str, object] = {"size": len(raw)}
    if uid is not None:
        meta["imap_uid"] = uid
    try:
        mail = parse_mail(raw)
        flags, flag_meta = classify(mail.message, mail.from_addr, mail.subject)
    except Exception as exc:  # MailParseError, or any parser bug: quarantine, never stop
        return Inbound(
            channel=channel,
            kind="email",
            external_id=ext,
            address=_rough_sender(raw),
            text="",
            flags=frozenset({FLAG_QUARANTINED}),
            error=_reason(exc),
            raw=raw,
            meta=meta,
        )
    meta.update(flag_meta)
    if mail.from_html:
        meta["from_html"] = True
    if mail.defects:
        meta["mime_defects"] = sorted(set(mail.defects))[:20]
    return Inbound(
        channel=channel,
        kind="email",
        external_id=ext,
        address=mail.from_addr,
        text=mail.text,
        display_name=mail.from_name,
        subject=mail.subject,
        sent_at=mail.sent_at,
        wire_id=mail.message_id,
        thread_refs=mail.thread_refs,
        reply_token=find_token(address, mail.recipients, mail.subject),
        attachments=tuple(mail.attachments),
        flags=frozenset(flags),
        raw=raw,
        meta=meta,
    )


def _reason(exc: Exception) -> str:
    """The quarantine reason an agent reads: the parser's sentence, or the fault's name for a
    parser bug (which the hub log and a bug report need)."""
    if isinstance(exc, MailParseError):
        text = str(exc)
        return (text[:1].upper() + text[1:]).rstrip(".")[:1000] + "."
    return f"{type(exc).__name__}: {exc}"[:1000]


_FROM_RE = re.compile(rb"^From:[^\n]*?([A-Za-z0-9._%+=-]{1,64}@[A-Za-z0-9.-]{1,255})", re.I | re.M)


def _rough_sender(raw: bytes) -> str:
    """Best-effort sender of unparsable mail, so the agent sees who it was from ('' if none, or
    if what is there is no valid address: it must not become a customer shared by strangers)."""
    m = _FROM_RE.search(raw[:65536])
    address = m.group(1).decode("ascii", errors="replace").lower() if m else ""
    return address if is_address(address) else ""
