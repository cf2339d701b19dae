"""The website chat gateway: aiohttp serving docs/chat-web.md inside the hub.

It owns nothing of the chat itself: a WebSocket becomes a `WebSession` of the chat channel, and
each text frame goes through the channel's own `handle_line`, so acks, de-duplication, rate
limits, history and replies are the socket protocol's, written once. What the gateway adds is
what a public web endpoint needs: tokens, the origin allow-list, per-address limits, uploads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from omnitui.channels.chat import protocol as p
from omnitui.channels.chat.limits import RateLimiter
from omnitui.channels.chat.web import files as visitor_files
from omnitui.channels.chat.web import tokens, uploads
from omnitui.channels.chat.web.addresses import AddressLimits, client_address
from omnitui.channels.chat.web.websession import (
    CLOSE_AUTH,
    CLOSE_GOING_AWAY,
    CLOSE_ORIGIN,
    CLOSE_POLICY,
    CLOSE_TOO_MANY,
    WebSession,
)

if TYPE_CHECKING:
    from omnitui.channels.chat.server import ChatChannel

STATIC_DIR = Path(__file__).parent / "static"
UPLOADS_PER_MINUTE = 10  # per visitor
FRAME_RATE, FRAME_BURST = 10.0, 40.0  # per connection: average per second, and burst
FLOOD_FRAMES, FLOOD_WINDOW = 200, 10.0  # past this many frames in the window: closed 1008
MULTIPART_OVERHEAD = 64 * 1024


def _error(status: int, code: str, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status,
                             headers=headers)


class FrameBudget:
    """A token bucket per connection, plus a hard ceiling that closes a flooding one."""

    def __init__(self) -> None:
        self.tokens = FRAME_BURST
        self.last = time.monotonic()
        self.window: list[float] = []

    def take(self) -> str:
        """"ok", "refuse" (answer rate_limited) or "close" (a flood)."""
        now = time.monotonic()
        self.window = [t for t in self.window if t > now - FLOOD_WINDOW]
        self.window.append(now)
        if len(self.window) > FLOOD_FRAMES:
            return "close"
        self.tokens = min(FRAME_BURST, self.tokens + (now - self.last) * FRAME_RATE)
        self.last = now
        if self.tokens < 1:
            return "refuse"
        self.tokens -= 1
        return "ok"


class Gateway:
    def __init__(self, channel: ChatChannel) -> None:
        self.channel = channel
        self.cfg = channel.cfg
        host, _, port = (self.cfg.web or "").rpartition(":")
        self.host, self.port = host.strip("[]"), int(port)
        self.origins = {o.rstrip("/").lower() for o in self.cfg.web_origins}
        self.limits = AddressLimits(self.cfg.web_address_limit,
                                    self.cfg.web_connections_per_address)
        self.upload_limiter = RateLimiter(UPLOADS_PER_MINUTE, 60.0)
        self.sessions: set[WebSession] = set()
        self._runner: web.AppRunner | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._headers],
                              client_max_size=self.cfg.web_upload_bytes + MULTIPART_OVERHEAD)
        app.router.add_get("/chat/config", self.config)
        app.router.add_post("/chat/session", self.new_session)
        app.router.add_post("/chat/upload", self.upload)
        app.router.add_get("/chat/file/{file_id}", self.file)
        app.router.add_get("/chat/ws", self.websocket)
        app.router.add_route("OPTIONS", "/chat/{tail:.*}", self.preflight)
        if STATIC_DIR.is_dir():
            app.router.add_static("/chat/static", STATIC_DIR, show_index=False,
                                  follow_symlinks=False)
        return app

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app(), access_log=None, handle_signals=False,
                                     shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, backlog=1024,
                           reuse_address=True)
        try:
            await site.start()
        except OSError as exc:  # the channel restarts with backoff; status shows this sentence
            reason = (exc.strerror or str(exc)).rsplit(": ", 1)[-1].lower()
            raise OSError(f"cannot serve the website chat on {self.cfg.web}: {reason}") \
                from None
        return f"http://{self.cfg.web}/chat/"

    async def stop(self) -> None:
        """Close every WebSocket with 1001 (the widget reconnects to the next hub)."""
        sessions = list(self.sessions)
        if sessions:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.gather(*(s.close() for s in sessions),
                                                      return_exceptions=True), 2.0)
        if self._runner is not None:
            with contextlib.suppress(BaseException):
                await self._runner.cleanup()
            self._runner = None

    # --- cross-cutting --------------------------------------------------------------------

    @web.middleware
    async def _headers(self, request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            response = _error(exc.status, "bad_field" if exc.status < 500 else "internal",
                              f"{exc.reason}.")
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception as exc:  # a fault of ours: one line in the hub log, JSON to the page
            ctx = self.channel.context
            if ctx is not None:
                ctx.log(f"web gateway: {request.method} {request.path} failed: {exc}")
            response = _error(500, "internal", "Something went wrong on our side; try again.")
        if isinstance(response, web.WebSocketResponse):
            return response
        origin = self._origin(request)
        if origin is not None:
            response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
        response.headers["X-Content-Type-Options"] = "nosniff"
        if request.path.startswith("/chat/static/"):
            response.headers["Cache-Control"] = "public, max-age=300"
        else:
            response.headers["Cache-Control"] = "no-store"
        return response

    def _origin(self, request: web.Request) -> str | None:
        """The request's Origin if it is allowed, else None."""
        origin = request.headers.get("Origin", "").rstrip("/").lower()
        return origin if origin and origin in self.origins else None

    def _address(self, request: web.Request) -> str:
        return client_address(request.remote, request.headers.get("X-Forwarded-For"),
                              self.cfg.web_trusted_proxies)

    def _refusal(self, request: web.Request) -> web.Response | None:
        """Origin and per-address limit, shared by every endpoint a page calls."""
        if self._origin(request) is None:
            return _error(403, "origin", "This page is not allowed to open the shop's chat.")
        if not self.limits.allow_request(self._address(request)):
            return _error(429, p.RATE_LIMITED, "Too many requests; try again in a minute.",
                          **{"Retry-After": "60"})
        return None

    # --- endpoints ------------------------------------------------------------------------

    async def preflight(self, request: web.Request) -> web.Response:
        if self._origin(request) is None:
            return _error(403, "origin", "This page is not allowed to open the shop's chat.")
        return web.Response(status=204, headers={
            "Access-Control-Allow-Methods": "GET, POST",
            "Access-Control-Allow-Headers": "Authorization, Content-Type",
            "Access-Control-Max-Age": "600"})

    async def config(self, request: web.Request) -> web.Response:
        ctx = self.channel.context
        online = bool(ctx.is_open()) if ctx is not None else True
        return web.json_response({
            "online": online,
            "offline_text": self.cfg.offline_text,
            "consent_text": self.cfg.web_consent_text,
            "language": self.cfg.web_language,
            "strings": dict(self.cfg.web_strings),
            "upload": {"max_bytes": self.cfg.web_upload_bytes,
                       "types": list(self.cfg.web_upload_types)},
            "limits": {"text": p.MAX_TEXT, "frame": p.MAX_LINE,
                       "attachments": p.MAX_ATTACHMENTS},
            "ws": "/chat/ws",
            "csat": self.cfg.csat,
        })

    async def new_session(self, request: web.Request) -> web.Response:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        token = tokens.new_token()
        return web.json_response({"token": token, "visitor": tokens.visitor_of(token)},
                                 status=201)

    async def upload(self, request: web.Request) -> web.Response:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        auth = request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        if not tokens.well_formed(token):
            return _error(401, p.AUTH, "The chat session is missing or not valid; reload.")
        assert token is not None
        visitor = tokens.visitor_of(token)
        limit = self.cfg.web_upload_bytes
        if request.content_length is not None and \
                request.content_length > limit + MULTIPART_OVERHEAD:
            return _error(413, p.TOO_LONG, f"A file can be at most {limit} bytes.")
        if not self.upload_limiter.allow(visitor):
            return _error(429, p.RATE_LIMITED, "Too many files at once; wait a minute.",
                          **{"Retry-After": "60"})
        try:
            name, declared, data = await _read_file_part(request, limit)
        except uploads.UploadRefused as exc:
            status = {"too_long": 413, "bad_type": 415}.get(exc.code, 400)
            return _error(status, exc.code, exc.message)
        try:
            result = await asyncio.to_thread(uploads.accept, self.cfg,
                                             self.channel.settings.attachments_dir, name,
                                             declared, data)
        except uploads.UploadRefused as exc:
            status = {"too_long": 413, "bad_type": 415}.get(exc.code, 400)
            return _error(status, exc.code, exc.message)
        return web.json_response(result, status=201)

    async def file(self, request: web.Request) -> web.Response:
        """A file an agent sent this visitor (web/files.py). No origin check: the token is
        the credential, and CORS keeps other pages from reading the answer anyway."""
        if not self.limits.allow_request(self._address(request)):
            return _error(429, p.RATE_LIMITED, "Too many requests; try again in a minute.",
                          **{"Retry-After": "60"})
        auth = request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        if not tokens.well_formed(token):
            return _error(401, p.AUTH, "The chat session is missing or not valid; reload.")
        assert token is not None
        ctx = self.channel.context
        if ctx is None:
            return _error(503, "unavailable", "The chat is starting; try again in a moment.")
        ref = visitor_files.parse_id(request.match_info["file_id"])
        found = await ctx.sent_file(tokens.visitor_of(token), *ref) if ref else None
        data = await ctx.blob(found[1]) if found is not None else None
        if found is None or data is None:
            return _error(404, "not_found", "There is no such file.")
        return web.Response(body=data, headers=visitor_files.download_headers(found[0]))

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        """Refusals open and close at once with a code, since a browser cannot read the
        status of a failed upgrade and the widget must know whether to retry."""
        ws = web.WebSocketResponse(max_msg_size=p.MAX_LINE, autoping=True, compress=False)
        await ws.prepare(request)
        address = self._address(request)
        token = request.query.get("token")  # else in the first `hello` (kept out of URLs)
        if self._origin(request) is None:
            await _refuse(ws, CLOSE_ORIGIN, "origin",
                          "This page is not allowed to open the shop's chat.")
            return ws
        if token is not None and not tokens.well_formed(token):
            await _refuse(ws, CLOSE_AUTH, p.AUTH, "The chat session is not valid; start anew.")
            return ws
        if not self.limits.allow_request(address):
            await _refuse(ws, CLOSE_TOO_MANY, p.RATE_LIMITED, "Too many connections; wait.")
            return ws
        if not self.limits.open(address):
            await _refuse(ws, CLOSE_TOO_MANY, p.RATE_LIMITED,
                          "Too many open chats from this address.")
            return ws
        session = WebSession(ws, tokens.visitor_of(token) if token else None, address)
        try:
            if not self.channel.attach(session):  # stopping, or full: come back later
                with contextlib.suppress(Exception):
                    await ws.close(code=CLOSE_GOING_AWAY)
                return ws
            self.sessions.add(session)
            await self._serve(ws, session)
        finally:
            self.sessions.discard(session)
            self.limits.close(address)
            self.channel.detach(session)
            if not ws.closed:
                await session.close(code=1000)
            session.closed = True
        return ws

    async def _serve(self, ws: web.WebSocketResponse, session: WebSession) -> None:
        budget = FrameBudget()
        async for msg in ws:
            if session.closed:
                break
            if msg.type is WSMsgType.TEXT:
                verdict = budget.take()
                if verdict == "close":
                    await session.close(code=CLOSE_POLICY)
                    break
                if verdict == "refuse":
                    session.write(p.error(p.RATE_LIMITED, "Too many frames; slow down."))
                    continue
                data = msg.data.encode("utf-8")
                if b"\n" in data.rstrip(b"\n"):
                    session.write(p.error(p.BAD_JSON, "A frame must be one JSON object."))
                    continue
                if session.fixed_visitor is None and not _take_hello_token(session, data):
                    await _refuse(ws, CLOSE_AUTH, p.AUTH,
                                  "The chat session is not valid; start anew.")
                    break
                if not await self.channel.handle_line(session, data.rstrip(b"\n"), web=True):
                    break
            elif msg.type is WSMsgType.BINARY:
                session.write(p.error(p.BAD_JSON, "Frames must be text (JSON), not binary."))
            else:
                break  # ERROR (e.g. a frame over the limit: aiohttp closes it with 1009)


def _take_hello_token(session: WebSession, frame: bytes) -> bool:
    """A connection opened without `?token=` names its visitor in its first `hello`. False:
    a `hello` without a valid token (the connection is refused). Other frames pass (the channel
    answers them with `not_hello`, or `pong`)."""
    if b"hello" not in frame:
        return True
    try:
        obj = json.loads(frame)
    except ValueError:
        return True  # the channel answers bad_json
    if not isinstance(obj, dict) or obj.get("type") != "hello":
        return True
    token = obj.get("token")
    if not isinstance(token, str) or not tokens.well_formed(token):
        return False
    session.fixed_visitor = tokens.visitor_of(token)
    return True


async def _refuse(ws: web.WebSocketResponse, code: int, error: str, message: str) -> None:
    with contextlib.suppress(Exception):
        await ws.send_str(json.dumps({"type": "error", "code": error, "message": message}))
        await ws.close(code=code, message=message.encode("utf-8")[:120])


async def _read_file_part(request: web.Request, limit: int) -> tuple[str, str | None, bytes]:
    """The multipart part named `file`, read in chunks so an oversized one stops early."""
    if not request.content_type.startswith("multipart/"):
        raise uploads.UploadRefused(p.BAD_FIELD, "Send the file as multipart/form-data.")
    try:
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                raise uploads.UploadRefused(p.BAD_FIELD, "The form has no part named 'file'.")
            if getattr(part, "name", None) != "file":
                continue
            data = bytearray()
            while chunk := await part.read_chunk(64 * 1024):
                data += chunk
                if len(data) > limit:
                    raise uploads.UploadRefused(p.TOO_LONG,
                                                f"A file can be at most {limit} bytes.")
            return (part.filename or "attachment",  # type: ignore[union-attr]
                    part.headers.get("Content-Type"), bytes(data))
    except (ValueError, AssertionError, web.HTTPException) as exc:
        if isinstance(exc, web.HTTPRequestEntityTooLarge):
            raise uploads.UploadRefused(p.TOO_LONG,
                                        f"A file can be at most {limit} bytes.") from None
        raise uploads.UploadRefused(p.BAD_FIELD, "The upload is not a valid form.") from None
