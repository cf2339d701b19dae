"""A small Telegram Bot API server on loopback, for tests and the ingest benchmark.

Why our own: the faults that lose or double updates (a crash between getUpdates and commit, 409,
429, a dropped connection) cannot be produced against api.telegram.org. It speaks the documented
HTTP API (https://core.telegram.org/bots/api) closely enough for python-telegram-bot's `Bot`:
form or JSON parameters, `{"ok": ..., "result"|"error_code"/"description"/"parameters"}` answers,
updates kept until confirmed by a larger offset, long polls that end early when updates arrive, and
a second concurrent getUpdates ending the first with 409 like the real server. The bot's own
messages are kept (`bot_messages`) so that editMessageText answers like Telegram: "message to
edit not found", "message is not modified", and the inline keyboard gone when the edit leaves out
reply_markup.

In-process: `async with FakeTelegram() as tg: ...`. As a process (kill -9 tests, benchmark):
`python -m tests.fakes.telegram_api --port 0` prints `READY <port>`; the `/_ctl/...` endpoints
push updates, inject faults and report state as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

TOKEN = "123456789:AAFakeTestTokenThatMustNeverLeak_0123"
BOT_ID = 123456789
FILE_LIMIT = 20 * 1024 * 1024
NOT_FOUND = "Bad Request: message to edit not found"
NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message")



def hub_config(data_dir: Path, port: int, *, poll_timeout: int) -> str:
    """An omnitui config whose one channel, "bot", talks to this server on `port`; the token
    comes from $TG_TOKEN (set it to TOKEN), as a real deployment's would."""
    return (f'[omnitui]\ndata_dir = "{data_dir}"\n\n[channels.bot]\nkind = "telegram"\n'
            f'token_env = "TG_TOKEN"\nbase_url = "http://127.0.0.1:{port}/bot{{token}}"\n'
            f'base_file_url = "http://127.0.0.1:{port}/file/bot{{token}}"\n'
            f'poll_timeout = {poll_timeout}\n')

@dataclass
class Fault:
    """One injected failure for the next `count` calls of `method` ("*" matches any)."""

    method: str
    kind: str  # 429 | 502 | 409 | 403 | slow | drop | drop_after
    count: int = 1
    retry_after: int = 1
    delay: float = 1.0


@dataclass
class Sent:
    method: str
    params: dict[str, Any]
    at: float
    file: bytes | None = None
    filename: str | None = None


@dataclass
class FakeTelegram:
    token: str = TOKEN
    bot_username: str = "shop_test_bot"
    host: str = "127.0.0.1"
    port: int = 0
    updates: list[dict[str, Any]] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)
    files: dict[str, tuple[bytes, str, int]] = field(default_factory=dict)  # id → data, path, size
    callback_answers: list[str] = field(default_factory=list)
    callback_texts: list[str | None] = field(default_factory=list)  # answered toasts, in order
    bot_messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    edits: list[Sent] = field(default_factory=list)  # successful edits, in order
    confirmed: int = 0  # highest offset a client confirmed
    conflicts: int = 0

    def __post_init__(self) -> None:
        self._next_update = itertools.count(1000)
        self._next_message = itertools.count(1)
        self._next_file = itertools.count(1)
        self._arrived = asyncio.Event()
        self._poll_generation = 0
        self._closing = False
        self._runner: web.AppRunner | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        app.router.add_post("/_ctl/push", self._ctl_push)
        app.router.add_post("/_ctl/fault", self._ctl_fault)
        app.router.add_get("/_ctl/state", self._ctl_state)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        self._closing = True
        self._arrived.set()  # end waiting long polls now rather than at their timeout
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot{{token}}"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot{{token}}"

    # --- feeding -----------------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> int:
        """Queue one raw update (an `update_id` is assigned unless given)."""
        update = dict(update)
        update.setdefault("update_id", next(self._next_update))
        self.updates.append(update)
        self._arrived.set()
        return int(update["update_id"]) if isinstance(update["update_id"], int) else -1

    def message(self, user_id: int, text: str | None = None, *, first_name: str = "Ann",
                last_name: str | None = None, username: str | None = None,
                chat_type: str = "private", chat_id: int | None = None, edited: bool = False,
                message_id: int | None = None, **fields: Any) -> dict[str, Any]:
        """Build and queue a message update from a user; returns the message dict."""
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name is not None:
            user["last_name"] = last_name
        if username is not None:
            user["username"] = username
        msg: dict[str, Any] = {
            "message_id": message_id if message_id is not None else next(self._next_message),
            "date": int(time.time()),
            "chat": {"id": chat_id if chat_id is not None else user_id, "type": chat_type},
            "from": user,
        }
        if text is not None:
            msg["text"] = text
        msg.update(fields)
        if edited:
            msg["edit_date"] = int(time.time())
        self.push({"edited_message" if edited else "message": msg})
        return msg

    def add_file(self, data: bytes, path: str = "documents/file.bin",
                 size: int | None = None) -> dict[str, Any]:
        """Store a downloadable file; returns the fields a message carries for it."""
        n = next(self._next_file)
        file_id = f"FILE{n}"
        declared = len(data) if size is None else size
        self.files[file_id] = (data, path, declared)
        return {"file_id": file_id, "file_unique_id": f"U{n}", "file_size": declared}

    def fail(self, method: str, kind: str, count: int = 1, **kw: Any) -> None:
        self.faults.append(Fault(method, kind, count, **kw))

    @property
    def pending(self) -> int:
        return len(self.updates)

    def sent_to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if str(s.params.get("chat_id")) == str(chat_id)]

    # --- the Bot API -------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        self.calls.append(method)
        params = await _params(request)
        fault = self._take_fault(method)
        if fault is not None:
            early = await self._apply_fault(request, fault)
            if early is not None:
                return early
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return _error(404, "Not Found")
        try:
            result = await handler(params)
        except _ApiError as exc:
            return _error(exc.code, exc.description)
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.kind == "drop_after":
            _drop(request)
        return web.json_response({"ok": True, "result": result})

    def _take_fault(self, method: str) -> Fault | None:
        for fault in self.faults:
            if fault.method in (method, "*") and fault.count > 0:
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
                return fault
        return None

    async def _apply_fault(self, request: web.Request, fault: Fault) -> web.StreamResponse | None:
        if fault.kind == "429":
            return _error(429, f"Too Many Requests: retry after {fault.retry_after}",
                          {"retry_after": fault.retry_after})
        if fault.kind == "502":
            return web.Response(status=502, text="<html>502 Bad Gateway</html>",
                                content_type="text/html")
        if fault.kind == "409":
            return _error(409, "Conflict: terminated by other getUpdates request; make sure that "
                               "only one bot instance is running")
        if fault.kind == "403":
            return _error(403, "Forbidden: bot was blocked by the user")
        if fault.kind == "drop":
            _drop(request)
            return web.Response(status=500)
        return None  # slow / drop_after act around the normal answer

    async def _m_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Shop", "username": self.bot_username}

    async def _m_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = _int(params.get("offset"), 0)
        limit = max(1, min(100, _int(params.get("limit"), 100)))
        timeout = max(0, _int(params.get("timeout"), 0))
        if offset > 0:
            self.updates = [u for u in self.updates if _uid(u) >= offset]
            self.confirmed = max(self.confirmed, offset)
        self._poll_generation += 1
        generation = self._poll_generation
        deadline = time.monotonic() + timeout
        while True:
            if generation != self._poll_generation:
                self.conflicts += 1
                raise _ApiError(409, "Conflict: terminated by other getUpdates request; make "
                                     "sure that only one bot instance is running")
            ready = [u for u in self.updates if _uid(u) >= offset][:limit]
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0 or self._closing:
                return ready
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), min(remaining, 0.5))

    async def _m_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        markup = _markup(params.get("reply_markup"))
        self.sent.append(Sent("sendMessage", params, time.monotonic()))
        return self._bot_message(chat_id, text=text, **({"reply_markup": markup} if markup else {}))

    async def _m_senddocument(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_file(params, "document")

    async def _m_sendphoto(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_file(params, "photo")

    async def _send_file(self, params: dict[str, Any], field_name: str) -> dict[str, Any]:
        chat_id = self._chat(params)
        upload = params.get(field_name)
        if isinstance(upload, web.FileField):
            data, filename = upload.file.read(), upload.filename
        elif isinstance(upload, str) and upload in self.files:
            data, filename = self.files[upload][0], upload
        else:
            raise _ApiError(400, f"Bad Request: there is no {field_name} in the request")
        self.sent.append(Sent(f"send{field_name.title()}",
                              {k: v for k, v in params.items() if k != field_name},
                              time.monotonic(), data, filename))
        ref = self.add_file(data, f"{field_name}s/{filename}")
        body: Any = ({**ref, "file_name": filename} if field_name == "document"
                     else [{**ref, "width": 1, "height": 1}])
        return self._bot_message(chat_id, **{field_name: body})

    async def _m_getfile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = params.get("file_id")
        if file_id not in self.files:
            raise _ApiError(400, "Bad Request: invalid file_id")
        _data, path, size = self.files[file_id]
        if size > FILE_LIMIT:
            raise _ApiError(400, "Bad Request: file is too big")
        return {"file_id": file_id, "file_unique_id": f"U{file_id}", "file_size": size,
                "file_path": path}

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> bool:
        self.callback_answers.append(str(params.get("callback_query_id")))
        self.callback_texts.append(params.get("text"))
        return True

    async def _m_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        return self._edit("editMessageText", params, text=text)

    def _edit(self, method: str, params: dict[str, Any], **changes: Any) -> dict[str, Any]:
        """An edit replaces the inline keyboard with the one given, or drops it (Telegram does
        so for editMessageText too, a known trap); an edit that changes nothing is a 400."""
        key = (self._chat(params), _int(params.get("message_id"), 0))
        old = self.bot_messages.get(key)
        if old is None:
            raise _ApiError(400, NOT_FOUND)
        new = {k: v for k, v in old.items() if k not in ("reply_markup", "edit_date")}
        new.update(changes)
        markup = _markup(params.get("reply_markup"))
        if markup and markup.get("inline_keyboard"):
            new["reply_markup"] = markup
        if new == {k: v for k, v in old.items() if k != "edit_date"}:
            raise _ApiError(400, NOT_MODIFIED)
        new["edit_date"] = int(time.time())
        self.bot_messages[key] = new
        self.edits.append(Sent(method, params, time.monotonic()))
        return new

    def _chat(self, params: dict[str, Any]) -> int:
        chat_id = _int(params.get("chat_id"), 0)
        if not chat_id:
            raise _ApiError(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _bot_message(self, chat_id: int, **fields: Any) -> dict[str, Any]:
        msg = {"message_id": next(self._next_message), "date": int(time.time()),
               "chat": {"id": chat_id, "type": "private"},
               "from": {"id": BOT_ID, "is_bot": True, "first_name": "Shop"}, **fields}
        self.bot_messages[(chat_id, msg["message_id"])] = msg
        return msg

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        self.calls.append("download")
        fault = self._take_fault("download")
        if fault is not None:
            early = await self._apply_fault(request, fault)
            if early is not None:
                return early
            if fault.kind == "slow":
                await asyncio.sleep(fault.delay)
        path = request.match_info["path"]
        for data, file_path, _size in self.files.values():
            if file_path == path:
                return web.Response(body=data, content_type="application/octet-stream")
        return _error(404, "Not Found")

    # --- control endpoints for a separate process --------------------------------------------

    async def _ctl_push(self, request: web.Request) -> web.Response:
        body = await request.json()
        ids = [self.push(u) for u in body.get("updates", [])]
        for m in body.get("messages", []):
            extra: dict[str, Any] = {}
            if "document_text" in m:  # a small text file attached to the message
                ref = self.add_file(m["document_text"].encode(), f"documents/{len(self.files)}.txt")
                extra["document"] = {**ref, "file_name": "note.txt", "mime_type": "text/plain"}
            msg = self.message(int(m["user_id"]), m.get("text"),
                               first_name=m.get("first_name", "Ann"), **extra)
            ids.append(int(msg["message_id"]))
        return web.json_response({"ids": ids})

    async def _ctl_fault(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.fail(**body)
        return web.json_response({"ok": True})

    async def _ctl_state(self, request: web.Request) -> web.Response:
        return web.json_response({
            "pending": self.pending, "confirmed": self.confirmed, "conflicts": self.conflicts,
            "sent": [{"method": s.method, "params": {k: str(v) for k, v in s.params.items()}}
                     for s in self.sent],
            "calls": len(self.calls), "downloads": self.calls.count("download"),
        })


class _ApiError(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


def _drop(request: web.Request) -> None:
    """Close the TCP connection without an answer (the client sees a protocol error)."""
    if request.transport is not None:
        request.transport.abort()


async def _params(request: web.Request) -> dict[str, Any]:
    """Bot API parameters arrive as query, form, multipart or JSON; non-strings are JSON."""
    params: dict[str, Any] = dict(request.query)
    if request.method == "POST":
        if request.content_type == "application/json":
            body = await request.json()
            params.update(body if isinstance(body, dict) else {})
        else:
            form = await request.post()
            params.update(form)
    return params


def _int(value: Any, default: int) -> int:
    return int(value) if isinstance(value, int | str) and str(value).lstrip("-").isdigit() \
        else default


def _markup(value: Any) -> dict[str, Any] | None:
    """reply_markup arrives JSON-encoded in a form, or as an object in a JSON body."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object") \
                from None
    return value if isinstance(value, dict) else None


def _uid(update: dict[str, Any]) -> int:
    value = update.get("update_id")
    return value if isinstance(value, int) else 0


async def _main(port: int, token: str, username: str) -> None:
    async with FakeTelegram(token=token, bot_username=username, port=port) as tg:
        print(f"READY {tg.port}", flush=True)
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default=TOKEN)
    parser.add_argument("--bot-username", default="shop_test_bot")
    args = parser.parse_args()
    asyncio.run(_main(args.port, args.token, args.bot_username))


if __name__ == "__main__":
    main()
