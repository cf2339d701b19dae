"""Build one reply as MIME bytes and hand it to the SMTP server, classifying every failure.

Why the classification matters: the outbox retries TemporaryError with backoff, marks
PermanentError failed with the server's words, and resends an AmbiguousError (the connection died
after the message data went out) once only, with the same bytes and the same Message-ID, so the
customer's client can collapse a duplicate.
"""

from __future__ import annotations

import hashlib
import mimetypes
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formataddr, make_msgid

import aiosmtplib

from omnitui.channels.base import (
    AmbiguousError,
    Outbound,
    PermanentError,
    TemporaryError,
)
from omnitui.channels.email.mime import MSGID_RE
from omnitui.channels.email.tls import client_context
from omnitui.channels.email.tokens import plus_address, tag_subject
from omnitui.config import EmailSettings


def ensure_msgid(value: str | None, address: str) -> str:
    """The wire Message-ID in angle brackets; a fresh one when the core gave none."""
    if value:
        value = value.strip()
        return value if MSGID_RE.fullmatch(value) else f"<{value.strip('<>')}>"
    return make_msgid(domain=address.rpartition("@")[2] or "omnitui.invalid")


def build_message(out: Outbound, settings: EmailSettings) -> tuple[bytes, str]:
    """The exact bytes to send and their Message-ID; deterministic for one Outbound."""
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = formataddr((settings.display_name or "", settings.address))
    msg["To"] = out.address
    subject = out.subject or "Your message"
    if out.reply_token and settings.reply_token == "plus":
        subject = tag_subject(subject, out.reply_token)
        msg["Reply-To"] = plus_address(settings.address, out.reply_token)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(out.created_at)
    msgid = ensure_msgid(out.wire_id, settings.address)
    msg["Message-ID"] = msgid
    refs = [r for r in out.references if MSGID_RE.fullmatch(r)]
    if out.in_reply_to and MSGID_RE.fullmatch(out.in_reply_to):
        msg["In-Reply-To"] = out.in_reply_to
        if out.in_reply_to not in refs:
            refs.append(out.in_reply_to)
    if refs:
        msg["References"] = " ".join(refs[-50:])
    if out.automatic:
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(out.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    for att in out.attachments:
        ctype = att.content_type or mimetypes.guess_type(att.filename)[0] or ""
        maintype, _, subtype = ctype.partition("/")
        if not subtype:
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(
            att.read_bytes(), maintype=maintype, subtype=subtype, filename=att.filename
        )
    if msg.is_multipart():
        # A fixed boundary keeps a resend byte-identical to the first attempt.
        msg.set_boundary("=_omnitui_" + hashlib.sha256(msgid.encode()).hexdigest()[:32])
    return msg.as_bytes(), msgid


def smtp_client(settings: EmailSettings, timeout: float | None = None) -> aiosmtplib.SMTP:
    """An unconnected client for the channel's SMTP server, security as configured."""
    s = settings
    return aiosmtplib.SMTP(
        hostname=s.smtp_host,
        port=s.smtp_port,
        timeout=s.timeout if timeout is None else timeout,
        use_tls=s.smtp_security == "tls",
        start_tls=s.smtp_security == "starttls",
        tls_context=client_context(s.tls_ca_file) if s.smtp_security != "none" else None,
    )


async def open_session(smtp: aiosmtplib.SMTP, settings: EmailSettings,
                       password: str | None) -> bool:
    """Connect (TLS or STARTTLS as configured) and log in when the server offers AUTH;
    True when a login took place. Raises aiosmtplib's errors unclassified."""
    await smtp.connect()
    if smtp.is_ehlo_or_helo_needed:
        await smtp.ehlo()  # learn the extensions (AUTH) before deciding to log in
    if password and smtp.supports_extension("auth"):
        await smtp.login(settings.username, password)
        return True
    return False


async def send_bytes(
    settings: EmailSettings, password: str | None, sender: str, recipient: str, data: bytes
) -> str:
    """Deliver prepared bytes; the server's final reply text. Raises a ChannelError subclass."""
    s = settings
    smtp = smtp_client(s)
    data_phase = False
    try:
        await open_session(smtp, s, password)
        await smtp.mail(sender)
        await smtp.rcpt(recipient)
        data_phase = True
        resp = await smtp.data(data)
        return f"{resp.code} {resp.message}"
    except aiosmtplib.SMTPAuthenticationError as exc:
        # Our own account is refused: not the message's fault, so retry once it is fixed.
        raise TemporaryError(
            f"SMTP {s.smtp_host} refused the login as {s.username}: {exc.code} {exc.message}"
        ) from None
    except aiosmtplib.SMTPRecipientsRefused as exc:
        raise _by_code(exc.recipients[0].code, exc.recipients[0].message) from None
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError) as exc:
        if data_phase:
            raise AmbiguousError(
                f"connection to {s.smtp_host} lost after the message data was sent ({exc})"
            ) from None
        raise TemporaryError(f"SMTP {s.smtp_host}: {exc}") from None
    except aiosmtplib.SMTPResponseException as exc:
        raise _by_code(exc.code, exc.message) from None
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise TemporaryError(f"SMTP {s.smtp_host}: {exc}") from None
    finally:
        smtp.close()


def _by_code(code: int, message: str) -> Exception:
    text = f"{code} {message}".strip()
    if 500 <= code < 600:
        return PermanentError(f"the mail server refused the message: {text}")
    return TemporaryError(f"the mail server deferred the message: {text}")
