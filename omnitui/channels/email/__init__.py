"""Email channel: IMAP ingest (aioimaplib) and SMTP replies (aiosmtplib)."""

from omnitui.channels.email.channel import EmailChannel

__all__ = ["EmailChannel"]
