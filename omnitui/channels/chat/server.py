"""The website-chat channel: the hub's side of the local chat socket protocol (DESIGN.md).

A shop's web backend (or `omnitui chat`) connects to a Unix socket in the data dir — or to TCP on
loopback with a token — and speaks one JSON object per line. Customer messages are acked only
once committed; replies are pushed to every connected session of the visitor, and a reply
written while the visitor was away is pushed after their next `hello` (`ctx.undelivered`). Bad
input is answered with an `error` line and never closes the connection, except a wrong token.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import socket
import time
from pathlib import Path
from typing import Any

from omnitui.channels.base import (
    META_TYPED_EMAIL,
    ConfigError,
    Inbound,
    Outbound,
    PermanentError,
    Reroute,
    ResendPolicy,
    SendResult,
)
from omnitui.channels.chat import protocol as p
from omnitui.channels.chat.limits import Batcher, RateLimiter, Recent
from omnitui.channels.chat.listen import BACKLOG, bind_unix
from omnitui.channels.chat.presence import OnlineRecord, Presence, find_email, offline_text
from omnitui.channels.chat.resolutions import ResolutionWatcher
from omnitui.channels.chat.session import TOO_LONG_LINE, Session, read_lines
from omnitui.channels.chat.web import files as visitor_files
from omnitui.channels.chat.web import uploads
from omnitui.channels.chat.web.gateway import Gateway
from omnitui.config import ChatSettings, Settings, resolve_secret
from omnitui.config import ConfigError as SettingsError

MAX_SESSIONS = 10_000  # beyond this a new connection is closed at once (file descriptors)
STOP_GRACE = 1.0  # seconds for in-flight commits (and then for acks to flush) on stop
CUSTOMER_TYPING_EVERY = 3.0  # s between a visitor's typing events (consoles show each for 5 s)


class ChatChannel:
    """`Channel` for kind "chat"; see the module doc. One instance per configured channel."""

    kind = "chat"
    resend_policy: ResendPolicy = "resend"  # the client de-duplicates replies by id

    def __init__(self, name: str, cfg: ChatSettings, settings: Settings) -> None:
        self.name = name
        self.cfg = cfg
        self.settings = settings
        self.socket_path: Path = settings.channel_path(cfg.socket)
        self.tcp_address: tuple[str, int] | None = _parse_tcp(cfg.tcp) if cfg.tcp else None
        self.limiter = RateLimiter(cfg.rate_limit, cfg.rate_window)
        self._recent = Recent()
        self._inflight: dict[tuple[str, str], asyncio.Future[int]] = {}
        self._by_visitor: dict[str, set[Session]] = {}
        self._typing_told: dict[str, float] = {}  # visitor → when agents were last told
        self._sessions: set[Session] = set()
        self._ctx: Any = None
        self._batcher: Batcher | None = None
        self._token: str | None = None
        self._socket_inode: int | None = None
        self._stopping = False
        self.resolutions = ResolutionWatcher(settings.database, self._request_rating,
                                             typing=self._agent_typing)
        self.gateway: Gateway | None = None
        self.presence = Presence(cfg)  # service levels: who left, for the email fallback
        self.online = OnlineRecord()  # who is connected, in the store for other processes

    # --- lifecycle ------------------------------------------------------------------------------

    async def run(self, ctx: Any) -> None:
        """Serve until cancelled; the socket file is removed on the way out."""
        self._ctx = ctx
        self._stopping = False
        if self.tcp_address is not None:
            try:
                self._token = resolve_secret(self.cfg, "token", f"channels.{self.name}")
            except SettingsError as exc:
                raise ConfigError(str(exc)) from None
        self._batcher = Batcher(ctx.ingest, ctx.log)
        servers: list[asyncio.AbstractServer] = []
        batcher = asyncio.create_task(self._batcher.run(), name=f"{self.name}:commit")
        follow = getattr(ctx, "follow_feed", None)  # the hub's one follower, when it has one
        watcher = asyncio.create_task(self.resolutions.run(follow() if follow else None),
                                      name=f"{self.name}:resolutions")
        try:
            sock = self._bind_unix()
            servers.append(await asyncio.start_unix_server(
                lambda r, w: self._serve(r, w, tcp=False), sock=sock, limit=p.MAX_LINE,
                backlog=BACKLOG))
            where = str(self.socket_path)
            if self.tcp_address is not None:
                host, port = self.tcp_address
                servers.append(await asyncio.start_server(
                    lambda r, w: self._serve(r, w, tcp=True), host, port, limit=p.MAX_LINE,
                    backlog=BACKLOG, reuse_address=True))
                where += f" and {host}:{port}"
            if self.cfg.web is not None:
                self.gateway = Gateway(self)
                where += f" and {await self.gateway.start()}"
            ctx.log(f"listening on {where}")
            await self.online.clear(ctx)
            await ctx.set_state("up", f"listening on {where}")
            # Both run until cancelled; if one ever ends, the channel restarts.
            await asyncio.wait([batcher, watcher], return_when=asyncio.FIRST_COMPLETED)
            for task in (batcher, watcher):
                if task.done():
                    task.result()
        finally:
            await self._wind_down(servers, batcher, watcher)

    async def _wind_down(self, servers: list[asyncio.AbstractServer],
                         *tasks: asyncio.Task[None]) -> None:
        """Stop taking input, let commits in flight finish and their acks go out, then close.
        A message whose ack never left is resent by its client and stored once."""
        self._stopping = True
        for server in servers:
            server.close()
        self._remove_socket_file()
        inflight = list(self._inflight.values())
        if inflight:
            with contextlib.suppress(BaseException):
                await asyncio.wait(inflight, timeout=STOP_GRACE)
        for task in tasks:
            task.cancel()
        sessions = list(self._sessions)
        self._sessions.clear()
        self._by_visitor.clear()
        await self.online.clear(self._ctx)
        if sessions:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.gather(*(s.close() for s in sessions),
                                                      return_exceptions=True), STOP_GRACE)
        for session in sessions:
            session.abort()
        if self.gateway is not None:
            await self.gateway.stop()
            self.gateway = None

    def _bind_unix(self) -> socket.socket:
        sock = bind_unix(self.socket_path)
        self._socket_inode = self.socket_path.lstat().st_ino
        return sock

    def _remove_socket_file(self) -> None:
        """Only our own socket: a hub started after us may already have replaced it."""
        with contextlib.suppress(OSError):
            if self._socket_inode is not None and \
                    self.socket_path.lstat().st_ino == self._socket_inode:
                self.socket_path.unlink()
        self._socket_inode = None

    # --- outbound ---------------------------------------------------------------------------

    async def send(self, out: Outbound) -> SendResult:
        """Push to every connected session of the visitor. Not connected is not a failure: the
        reply stays "sent" and `undelivered()` pushes it after the visitor's next hello — unless
        the visitor left longer than `email_fallback_after` ago: then `Reroute` asks the hub to
        send it by email (the hub keeps this behaviour when no email address is known)."""
        line = p.reply(out.message_id, out.text, out.agent_name,
                       out.created_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
                       visitor_files.describe(out.message_id, out.attachments))
        if not p.fits(line):
            raise PermanentError("The reply is longer than one chat line allows (64 KiB); "
                                 "shorten it or send it by email.")
        self.resolutions.learned_conversation(out.conversation_id, out.address)
        if (out.address not in self._by_visitor and self._ctx is not None
                and await self.presence.gone(out.address, self._ctx.last_inbound_at)):
            raise Reroute("visitor left; sent by email instead", kind="email")
        for session in list(self._by_visitor.get(out.address, ())):
            session.push(line)
        return SendResult()

    @property
    def context(self) -> Any:
        """The hub context while running (the gateway asks it whether the shop is open)."""
        return self._ctx

    def _agent_typing(self, visitor: str, active: bool) -> None:
        """An agent's typing mark in this visitor's conversation: tell their sessions."""
        line = p.typing(active)
        for session in list(self._by_visitor.get(visitor, ())):
            session.push(line)

    def _request_rating(self, visitor: str, conversation_id: int) -> None:
        """A conversation of this visitor was resolved: ask the connected sessions to rate it."""
        if not self.cfg.csat:
            return
        line = p.rate_request(conversation_id)
        for session in list(self._by_visitor.get(visitor, ())):
            session.push(line)

    # --- one connection ---------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     *, tcp: bool) -> None:
        session = Session(writer, tcp=tcp)
        if not self.attach(session):
            session.abort()
            return
        try:
            async for line in read_lines(reader):
                if session.closed:
                    break
                if line is TOO_LONG_LINE:
                    session.write(p.error(p.TOO_LONG,
                                          f"A line can be at most {p.MAX_LINE} bytes."))
                    continue
                assert isinstance(line, bytes)
                if not await self.handle_line(session, line):
                    break
        except (ConnectionError, OSError):
            pass  # the client went away; nothing of theirs is half-done
        finally:
            self._forget(session)
            if not session.closed:
                await session.close()

    def attach(self, session: Session) -> bool:
        """Count a new connection (socket or WebSocket); False when the hub is full."""
        if len(self._sessions) >= MAX_SESSIONS or self._stopping:
            return False
        self._sessions.add(session)
        return True

    async def handle_line(self, session: Session, line: bytes, *, web: bool = False) -> bool:
        """One request of either framing, answered on `session`; False: close the connection."""
        if not line.strip():
            return True  # blank lines are harmless keep-alives
        request: p.Request | None = None
        try:
            request = p.parse_line(line, web=web)
            if web and isinstance(request, p.Hello) and session.fixed_visitor is None:
                raise p.ProtocolError(p.AUTH, "The chat session is not valid; start anew.")
            await self._handle(session, request)
        except p.ProtocolError as exc:
            session.write(p.error(exc.code, exc.message))
            if exc.code == p.AUTH:
                return False
        except (ConnectionError, OSError):
            raise
        except Exception as exc:  # a store fault: this request is lost, not the hub
            self._ctx.log(f"could not handle a {type(request).__name__.lower()} "
                          f"request: {exc}")
        return True

    def detach(self, session: Session) -> None:
        """A connection ended (the gateway's counterpart of the socket server's cleanup)."""
        self._forget(session)

    def _forget(self, session: Session) -> None:
        self._sessions.discard(session)
        self._unregister(session)

    def _unregister(self, session: Session) -> None:
        if session.visitor is not None:
            peers = self._by_visitor.get(session.visitor)
            if peers is not None:
                peers.discard(session)
                if not peers:
                    del self._by_visitor[session.visitor]
                    self.presence.seen(session.visitor)  # left now: the fallback clock starts
                    self.online.mark(self._ctx, session.visitor, False)

    async def _handle(self, session: Session, request: p.Request) -> None:
        if isinstance(request, p.Ping):
            session.write(p.pong())
            return
        if isinstance(request, p.Hello):
            await self._hello(session, request)
            return
        if session.visitor is None:
            raise p.ProtocolError(p.NOT_HELLO, "Say hello first.")
        if isinstance(request, p.Message):
            self._message(session, request)
        elif isinstance(request, p.Delivered):
            await self._ctx.mark_delivered(session.visitor, request.message_id)
        elif isinstance(request, p.Rating):
            if not await self._ctx.rating(session.visitor, request.score, request.comment):
                raise p.ProtocolError(p.BAD_FIELD, "There is no conversation to rate yet.")
            session.write(p.ack())
        elif isinstance(request, p.Typing):
            await self._visitor_typing(session.visitor)

    async def _visitor_typing(self, visitor: str) -> None:
        """Tell the agents, at most every CUSTOMER_TYPING_EVERY s per visitor (a typing frame
        may come with every key; each told costs one small write that wakes every console)."""
        now = time.monotonic()
        if now - self._typing_told.get(visitor, -CUSTOMER_TYPING_EVERY) < CUSTOMER_TYPING_EVERY:
            return
        self._typing_told[visitor] = now
        if len(self._typing_told) > 10_000:  # forget visitors long gone
            self._typing_told = {v: t for v, t in self._typing_told.items()
                                 if now - t < CUSTOMER_TYPING_EVERY}
        await self._ctx.customer_typing(visitor)

    async def _hello(self, session: Session, hello: p.Hello) -> None:
        if session.tcp and not self._token_ok(hello.token):
            raise p.ProtocolError(p.AUTH, "Wrong or missing token.")
        if (session.fixed_visitor is not None and self.cfg.web_consent_text.strip()
                and (hello.name or hello.email) and not hello.consent):
            raise p.ProtocolError(p.BAD_FIELD, "Please tick the consent box before you write.")
        self._unregister(session)
        session.visitor = session.fixed_visitor or hello.visitor
        hello = p.Hello(session.visitor, hello.name, hello.email, None, hello.consent)
        session.name = hello.name
        session.email = hello.email
        session.begin_hello()
        peers = self._by_visitor.setdefault(hello.visitor, set())
        if not peers:
            self.online.mark(self._ctx, hello.visitor, True)
        peers.add(session)
        self.presence.seen(hello.visitor)
        ctx = self._ctx
        online = bool(ctx.is_open())
        session.email_known = bool(hello.email) or await ctx.email_known(hello.visitor)
        history = await ctx.history(hello.visitor)
        undelivered = await ctx.undelivered(hello.visitor)
        session.write(p.welcome(hello.visitor, online, history))
        if not online:
            session.write(p.offline(offline_text(self.cfg, session.email_known)))
        for item in undelivered:
            line = p.reply(item["id"], item["text"], item["agent"], item["at"])
            if p.fits(line):
                session.write(line)
        session.ready()

    def _token_ok(self, token: str | None) -> bool:
        if self._token is None or token is None:
            return False
        return hmac.compare_digest(token.encode("utf-8"), self._token.encode("utf-8"))

    def _message(self, session: Session, msg: p.Message) -> None:
        """Checked now (so errors come back in order); committed in the background (so one
        slow commit does not stop this connection from being read)."""
        visitor = session.visitor
        assert visitor is not None
        if self._stopping:
            return  # not acked: the client resends it to the next hub
        key = (visitor, msg.id)
        if key in self._recent:
            session.write(p.ack(msg.raw_id))
            return
        future = self._inflight.get(key)
        if future is None:
            if not self.limiter.allow(visitor):
                raise p.ProtocolError(
                    p.RATE_LIMITED,
                    f"Too many messages; message {p._short(msg.id)!r} was not stored. "
                    f"Send it again in a few seconds.")
            files = tuple(uploads.resolve(self.cfg, self.settings.attachments_dir, upload)
                          for upload in msg.attachments)
            item = Inbound(channel=self.name, kind="chat", external_id=external_id(visitor, msg.id),
                           address=visitor, text=msg.text, attachments=files,
                           display_name=session.name, link_email=session.email)
            typed = None if session.email_known else find_email(msg.text)
            if typed is not None:  # the answer to the offline line's ask: reachable by email
                item.link_email = typed
                item.meta[META_TYPED_EMAIL] = True
                session.email_known = True
            assert self._batcher is not None
            future = asyncio.ensure_future(self._batcher.submit(item))
            self._inflight[key] = future
            future.add_done_callback(lambda f: self._committed(key, f))
        future.add_done_callback(lambda f: self._ack(session, msg.raw_id, f))

    def _committed(self, key: tuple[str, str], future: asyncio.Future[int]) -> None:
        self._inflight.pop(key, None)
        if not future.cancelled() and future.exception() is None:
            self._recent.add(key)
            self.resolutions.learned_message(future.result(), key[0])

    @staticmethod
    def _ack(session: Session, raw_id: str | int, future: asyncio.Future[int]) -> None:
        if future.cancelled() or future.exception() is not None:
            return  # not committed: no ack, the client resends
        session.write(p.ack(raw_id))


def external_id(visitor: str, client_id: str) -> str:
    """`visitor:id`, unique per channel. A ':' (or '%') inside the visitor is escaped, so visitor
    "a:b" sending id "c" can never collide with visitor "a" sending id "b:c"."""
    return f"{visitor.replace('%', '%25').replace(':', '%3A')}:{client_id}"


def _parse_tcp(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    host = host.strip("[]")
    if host == "localhost":
        host = "127.0.0.1"
    return host, int(port)
