"""The demo shop's mail servers on 127.0.0.1: SMTP that files each sent mail as a .eml file,
and an IMAP mailbox for the shop's address.

Why both: the email channel sends by SMTP but is "up" only while its IMAP session lives, so a
demo without a mailbox would show mail forever retrying. The mailbox stays empty (the demo's
customers wrote before it started); it answers just what the channel asks of a mailbox with no
new mail: CAPABILITY, LOGIN, SELECT, UID FETCH, NOOP and LOGOUT.
"""

from __future__ import annotations

import asyncio
import itertools
import shlex
import threading
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"


class _FileEachMail:
    """aiosmtpd handler: every accepted message becomes NNNN-recipient.eml in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._numbers = itertools.count(1)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        rcpt = envelope.rcpt_tos[0] if envelope.rcpt_tos else "nobody"
        safe = "".join(c if c.isalnum() or c in "@.-_" else "_" for c in rcpt)[:80]
        path = self.folder / f"{next(self._numbers):04d}-{safe}.eml"
        content = envelope.original_content or envelope.content or b""
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return f"250 Filed as {path.name}"


class _EmptyMailbox:
    """One IMAP conversation with the shop's (empty) mailbox."""

    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username, password
        self.logged_in = False

    def answer(self, tag: str, command: str, args: str) -> str:
        if command == "CAPABILITY":
            return f"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK CAPABILITY completed\r\n"
        if command == "NOOP":
            return f"{tag} OK NOOP completed\r\n"
        if command == "LOGOUT":
            return f"* BYE the demo mailbox says goodbye\r\n{tag} OK LOGOUT completed\r\n"
        if command == "LOGIN":
            try:
                user, password = shlex.split(args)
            except ValueError:
                return f"{tag} BAD LOGIN takes a user name and a password\r\n"
            if (user, password) != (self.username, self.password):
                return f"{tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"
            self.logged_in = True
            return f"{tag} OK [CAPABILITY IMAP4rev1] Logged in\r\n"
        if not self.logged_in:
            return f"{tag} BAD log in first\r\n"
        if command in ("SELECT", "EXAMINE"):
            return ("* FLAGS (\\Seen \\Answered)\r\n* 0 EXISTS\r\n* 0 RECENT\r\n"
                    "* OK [UIDVALIDITY 1] UIDs valid\r\n* OK [UIDNEXT 1] Predicted next UID\r\n"
                    f"{tag} OK [READ-WRITE] SELECT completed\r\n")
        if command == "UID" and args.upper().startswith("FETCH"):
            return f"{tag} OK UID FETCH completed (no messages)\r\n"
        return f"{tag} BAD {command} is not offered by the demo mailbox\r\n"


class DemoMail:
    """Both servers on one event loop in a daemon thread; `start()` returns once they listen."""

    def __init__(self, folder: Path, username: str, password: str) -> None:
        self.folder = folder
        self.username, self.password = username, password
        self.smtp_port = 0
        self.imap_port = 0
        self._loop = asyncio.new_event_loop()
        self._servers: list[asyncio.AbstractServer] = []
        self._thread = threading.Thread(target=self._loop.run_forever, name="demo-mail",
                                        daemon=True)

    def start(self) -> DemoMail:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)
        return self

    async def _listen(self) -> None:
        handler = _FileEachMail(self.folder)
        loop = asyncio.get_running_loop()
        smtp = await loop.create_server(
            lambda: SMTP(handler, hostname="demo-mail.localhost", loop=loop), HOST, 0)
        imap = await asyncio.start_server(self._imap_client, HOST, 0)
        self._servers = [smtp, imap]
        self.smtp_port = smtp.sockets[0].getsockname()[1]
        self.imap_port = imap.sockets[0].getsockname()[1]

    async def _imap_client(self, reader: asyncio.StreamReader,
                           writer: asyncio.StreamWriter) -> None:
        mailbox = _EmptyMailbox(self.username, self.password)
        writer.write(b"* OK omnitui demo mailbox ready\r\n")
        try:
            while line := await reader.readline():
                tag, _, rest = line.decode("utf-8", "replace").strip().partition(" ")
                command, _, args = rest.partition(" ")
                writer.write(mailbox.answer(tag, command.upper(), args).encode())
                await writer.drain()
                if command.upper() == "LOGOUT":
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def stop(self) -> None:
        async def close() -> None:
            for server in self._servers:
                server.close()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)

    def config(self, address: str) -> dict[str, Any]:
        """The email channel's settings for this post office (the password comes from a
        command, so other processes, e.g. `omnitui doctor --online`, can use it too)."""
        return {"kind": "email", "address": address, "username": self.username,
                "imap_host": HOST, "imap_port": self.imap_port, "imap_security": "none",
                "smtp_host": HOST, "smtp_port": self.smtp_port, "smtp_security": "none",
                "password_cmd": f"echo {self.password}", "idle": False}
