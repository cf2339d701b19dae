"""Real mail servers on loopback for the email tests and the benchmark.

Dovecot runs in the foreground from a config written to a temp dir (passwd-file auth, maildir, no
TLS). aiosmtpd answers SMTP with a chosen code; a raw asyncio server drops the connection after
DATA. Nothing here ever listens on or connects to an address outside 127.0.0.0/8.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (also its own CA) and its key, made with openssl."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


def server_context(cert: tuple[Path, Path]) -> ssl.SSLContext:
    """The server side of a self_signed() pair, for implicit TLS and STARTTLS alike."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(*cert)
    return ctx


def dovecot_available() -> bool:
    return Path(DOVECOT).exists() and Path(DOVEADM).exists()


class Dovecot:
    """One Dovecot instance with its own config, ports, users and maildirs."""

    def __init__(self, root: Path | None = None, tls: tuple[Path, Path] | None = None) -> None:
        self.root = root or Path(tempfile.mkdtemp(prefix="omnitui-dovecot-"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.tls_port = free_port() if tls else 0
        ssl_conf = "ssl = no\n"
        if tls:
            ssl_conf = f"ssl = yes\nssl_cert = <{tls[0]}\nssl_key = <{tls[1]}\n"
        self.conf = self.root / "dovecot.conf"
        self.passwd = self.root / "passwd"
        self.proc: subprocess.Popen[bytes] | None = None
        self.users: dict[str, str] = {}
        if os.geteuid() == 0:
            mail_user, login_user = "dovecot", "dovenull"
        else:
            mail_user = login_user = pwd.getpwuid(os.geteuid()).pw_name
        self.mail_user = mail_user
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root / "mail", mail_user, mail_user)
        # Users exist before start: Dovecot may not notice a passwd-file changed within a second.
        self.users = {f"user{i}": f"pw-user{i}" for i in range(1, 301)}
        self.passwd.write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in self.users.items()))
        self.conf.write_text(
            f"""
instance_name = omnitui-{self.port}
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = {HOST}
{ssl_conf}disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {mail_user}
default_internal_group = {mail_user}
default_login_user = {login_user}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:{self.root}/mail/%u
mailbox_idle_check_interval = 1 secs
imap_idle_notify_interval = 2 mins
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.passwd}
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={self.root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {self.port}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {self.tls_port}
  }}
  process_min_avail = 1
}}
service imap {{
  process_limit = 200
}}
"""
        )

    def start(self) -> None:
        """Start in the foreground (-F) and wait until the IMAP port answers."""
        self.proc = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "stderr.log", "ab"),  # noqa: SIM115 - lives with the process
            start_new_session=True,  # its own process group: stop() can end lingering children
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.log_tail()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not answer on {self.port}: {self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        pgid = self.proc.pid  # the group this Dovecot leads (start_new_session)
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None
        # imap and imap-login children can outlive the master for seconds while clients hold
        # connections (and keep the listening socket open); end that group of ours now.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        # The master's children may linger a moment; wait until the port is free again.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection((HOST, self.port), timeout=0.2).close()
                time.sleep(0.05)
            except OSError:
                return

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, n: int = 20) -> str:
        try:
            return "\n".join((self.root / "dovecot.log").read_text().splitlines()[-n:])
        except OSError:
            return ""

    def add_user(self, name: str, password: str = "secret") -> None:
        """Add a user; call before start(), or use one of the pre-made user1…user300."""
        if self.users.get(name) == password:
            return
        self.users[name] = password
        with self.passwd.open("a") as f:
            f.write(f"{name}:{{PLAIN}}{password}::::::\n")

    def kick(self, user: str) -> str:
        out = subprocess.run(
            [DOVEADM, "-c", str(self.conf), "kick", user],
            capture_output=True, text=True, timeout=20, check=False,
        )
        return out.stdout + out.stderr

    def imap(self, user: str) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(HOST, self.port, timeout=30)
        conn.login(user, self.users[user])
        return conn

    def append(self, user: str, messages: list[bytes], mailbox: str = "INBOX") -> None:
        """Seed mail the way an MTA's delivery would appear to a client: IMAP APPEND."""
        conn = self.imap(user)
        try:
            for raw in messages:
                typ, data = conn.append(mailbox, None, None, raw)
                if typ != "OK":
                    raise RuntimeError(f"APPEND failed: {data!r}")
        finally:
            conn.logout()

    def maildir(self, user: str) -> Path:
        return self.root / "mail" / user

    def drop_into_maildir(self, user: str, messages: list[bytes]) -> None:
        """Fast seeding for big mailboxes: files in cur/, UIDs assigned at the next SELECT."""
        root = self.maildir(user)
        for sub in ("cur", "new", "tmp"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        stamp = int(time.time())
        for i, raw in enumerate(messages):
            (root / "cur" / f"{stamp}.M{i}P{os.getpid()}.test,S={len(raw)}:2,").write_bytes(raw)
        if os.geteuid() == 0:
            for path in [root, *root.rglob("*")]:
                shutil.chown(path, self.mail_user, self.mail_user)


@dataclass
class SmtpHandler:
    """aiosmtpd handler answering every DATA with one code; keeps what it accepted."""

    reply: str = "250 OK"
    rcpt_reply: str | None = None
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    # One entry per MAIL FROM: was the session already encrypted? (a STARTTLS that came too late
    # or not at all shows as False here, whatever the client believed)
    tls_at_mail: list[bool] = field(default_factory=list)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.tls_at_mail.append(session.ssl is not None)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.reply.startswith("250"):
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return self.reply


class SmtpServer:
    """An aiosmtpd Controller (own thread) on a free loopback port."""

    def __init__(self, reply: str = "250 OK", rcpt_reply: str | None = None,
                 ssl_context: ssl.SSLContext | None = None,
                 login: tuple[str, str] | None = None,
                 starttls: ssl.SSLContext | None = None) -> None:
        """ssl_context: implicit TLS from the first byte; starttls: offer STARTTLS and refuse
        every command but EHLO/HELO/NOOP/QUIT/STARTTLS until the session is encrypted (AUTH is
        then offered only after the upgrade, so pass `login` too: aiosmtpd offers it even
        without an authenticator, and refuses every login then)."""
        self.handler = SmtpHandler(reply=reply, rcpt_reply=rcpt_reply)
        self.port = free_port()
        extra: dict[str, object] = {}
        if login is not None:
            def check(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
                ok = (auth_data.login.decode(), auth_data.password.decode()) == login
                return AuthResult(success=ok, handled=False)  # aiosmtpd then answers 535

            extra = {"authenticator": check, "auth_require_tls": False, "auth_required": True}
        if starttls is not None:
            extra |= {"tls_context": starttls, "require_starttls": True, "auth_require_tls": True}
        self.controller = Controller(self.handler, hostname=HOST, port=self.port,
                                     ssl_context=ssl_context, **extra)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


class DropAfterData:
    """A raw SMTP server that takes the whole message and then hangs up without answering."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[bytes] = []
        self.server: asyncio.base_events.Server | None = None

    async def __aenter__(self) -> DropAfterData:
        self.server = await asyncio.start_server(self._client, HOST, self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 drop.test ESMTP\r\n")
        try:
            while line := await reader.readline():
                verb = line.split(b" ", 1)[0].strip().upper()
                if verb in (b"EHLO", b"HELO"):
                    writer.write(b"250-drop.test\r\n250 8BITMIME\r\n")
                elif verb == b"DATA":
                    writer.write(b"354 go ahead\r\n")
                    await writer.drain()
                    data = await reader.readuntil(b"\r\n.\r\n")
                    self.received.append(data)
                    break  # hang up: the client cannot know whether we took it
                elif verb == b"QUIT":
                    writer.write(b"221 bye\r\n")
                    break
                else:
                    writer.write(b"250 OK\r\n")
                await writer.drain()
        finally:
            writer.close()
