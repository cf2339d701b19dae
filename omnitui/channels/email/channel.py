"""EmailChannel: the Channel protocol over IMAP ingest and SMTP replies.

Why so thin: ingest (ingest.py), the IMAP session (imap.py), parsing (mime.py, flags.py) and
sending (smtp.py) are each tested on their own; this class only wires them to the hub.
"""

from __future__ import annotations

import logging

from omnitui.channels.base import (
    ChannelContext,
    ChannelKind,
    Outbound,
    PermanentError,
    ResendPolicy,
    SendResult,
)
from omnitui.channels.email.imap import ImapSession
from omnitui.channels.email.ingest import ImapIngest, Progress
from omnitui.channels.email.smtp import build_message, ensure_msgid, send_bytes
from omnitui.config import EmailSettings, resolve_secret

log = logging.getLogger("omnitui.email")


class EmailChannel:
    """One mailbox: IMAP in, SMTP out. Construct with the channel's name and settings."""

    kind: ChannelKind = "email"
    resend_policy: ResendPolicy = "resend_once"

    def __init__(
        self,
        name: str,
        settings: EmailSettings,
        *,
        backoff: tuple[float, float] = (1.0, 60.0),
        idle_reissue: float | None = None,
    ) -> None:
        self.name = name
        self.settings = settings
        self._backoff = backoff
        self._idle_reissue = idle_reissue
        self._ctx: ChannelContext | None = None
        self.ingest: ImapIngest | None = None

    def _password(self) -> str:
        return resolve_secret(self.settings, "password", f"channel {self.name}")

    def _ingest(self) -> ImapIngest:
        kwargs = {} if self._idle_reissue is None else {"idle_reissue": self._idle_reissue}
        password = self._password()
        return ImapIngest(self.name, self.settings, password, backoff=self._backoff, **kwargs)

    async def run(self, ctx: ChannelContext) -> None:
        """Bring mail in until cancelled (reconnects by itself; raises only on config errors)."""
        self._ctx = ctx
        self.ingest = self._ingest()
        await self.ingest.run(ctx)

    async def sync(self, ctx: ChannelContext, progress: Progress | None = None) -> int:
        """One foreground sync (for `omnitui channel sync NAME`); messages committed."""
        ingest = self._ingest()
        session = await ingest.connect()
        try:
            return await ingest.sync_once(session, ctx, progress)
        finally:
            await session.close()

    async def sync_once(self, ctx: ChannelContext, progress: Progress | None = None) -> int:
        """What `omnitui channel sync` calls: the same as `sync`."""
        return await self.sync(ctx, progress)

    def new_wire_id(self, out: Outbound) -> str:
        """A Message-ID in the domain of this channel's address, whoever queued the reply."""
        return ensure_msgid(None, self.settings.address)

    async def send(self, out: Outbound) -> SendResult:
        """Send one reply; raises TemporaryError, PermanentError or AmbiguousError."""
        try:
            data, msgid = build_message(out, self.settings)
        except (ValueError, TypeError, OSError) as exc:  # bad header value, attachment gone
            raise PermanentError(f"the message cannot be built: {exc}") from None
        password = (
            self._password() if (self.settings.password_env or self.settings.password_cmd) else None
        )
        await send_bytes(self.settings, password, self.settings.address, out.address, data)
        if self.settings.sent_folder:
            await self._copy_to_sent(data, password)
        return SendResult(wire_id=msgid)

    async def _copy_to_sent(self, data: bytes, password: str | None) -> None:
        """IMAP APPEND to the Sent folder; a failure is logged and never fails the send."""
        s = self.settings
        session = ImapSession(s.imap_host, s.imap_port, s.imap_security, s.timeout, s.tls_ca_file)
        try:
            await session.open(s.username, password or "", s.mailbox)
            await session.append(data, s.sent_folder or "Sent")
        except Exception as exc:  # the reply went out; a missing copy must not cause a resend
            self._log(f"email {self.name}: copy to {s.sent_folder!r} failed: {exc}")
        finally:
            try:
                await session.close()
            except Exception as exc:
                self._log(f"email {self.name}: closing the Sent-folder session failed: {exc}")

    def _log(self, message: str) -> None:
        if self._ctx is not None:
            self._ctx.log(message)
        else:
            log.warning(message)
