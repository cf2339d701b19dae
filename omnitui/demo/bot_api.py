"""The demo shop's Telegram Bot API server on 127.0.0.1: the bot's replies land in a folder.

It answers what the Telegram channel asks of the real API (https://core.telegram.org/bots/api)
for a bot nobody writes to any more: getMe, long polls that end empty, text messages (each
kept as NNNN-chat<id>.txt) and files (kept under their own name). Everything else is
answered as Telegram answers an unknown method. Standard library only: it runs in the demo's
process, beside the console.
"""

from __future__ import annotations

import email.policy
import itertools
import json
import threading
import time
from email.message import EmailMessage
from email.parser import BytesParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

HOST = "127.0.0.1"
BOT_ID = 1000001
BOT_USERNAME = "omnitui_demo_shop_bot"
LONGEST_POLL = 30.0


class DemoBotApi:
    """A Bot API for one token; `start()` returns once it listens, `stop()` ends long polls."""

    def __init__(self, folder: Path, token: str) -> None:
        self.folder = folder
        self.token = token
        self.sent: list[dict[str, Any]] = []
        self._stopping = threading.Event()
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._server = _QuietServer((HOST, 0), _handler_for(self))
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-bot-api",
                                        daemon=True)

    def start(self) -> DemoBotApi:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def config(self) -> dict[str, Any]:
        """The Telegram channel's settings for this server (token from a command, see mailbox)."""
        return {"kind": "telegram", "token_cmd": f"echo {self.token}",
                "base_url": f"http://{HOST}:{self.port}/bot{{token}}",
                "base_file_url": f"http://{HOST}:{self.port}/file/bot{{token}}",
                "bot_username": BOT_USERNAME, "poll_timeout": 2}

    def call(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """One API call: the HTTP status and Telegram's JSON answer."""
        if method == "getMe":
            return _ok({"id": BOT_ID, "is_bot": True, "first_name": "Demo Shop",
                        "username": BOT_USERNAME, "can_join_groups": False,
                        "can_read_all_group_messages": False, "supports_inline_queries": False})
        if method == "getUpdates":
            wait = min(float(params.get("timeout") or 0), LONGEST_POLL)
            self._stopping.wait(wait)
            return _ok([])
        if method in ("deleteWebhook", "sendChatAction", "answerCallbackQuery",
                      "editMessageReplyMarkup"):
            return _ok(True)
        if method == "sendMessage":
            return _ok(self._keep(params))
        if method in ("sendDocument", "sendPhoto") and "_upload" in params:
            return _ok(self._keep(params, params["_upload"]))
        return HTTPStatus.NOT_FOUND, {"ok": False, "error_code": 404, "description": "Not Found"}

    def _keep(self, params: dict[str, Any],
              upload: tuple[str, bytes] | None = None) -> dict[str, Any]:
        """Keep a text as NNNN-chat<id>.txt, a file as NNNN-chat<id>-<its name>."""
        chat = str(params.get("chat_id", ""))
        text = str(params.get("text") or params.get("caption") or "")
        with self._lock:
            number = next(self._numbers)
            message = {"message_id": number, "date": int(time.time()), "text": text,
                       "chat": {"id": int(chat) if chat.lstrip("-").isdigit() else 0,
                                "type": "private"},
                       "from": {"id": BOT_ID, "is_bot": True, "first_name": "Demo Shop"}}
            self.sent.append(message)
        stem = f"{number:04d}-chat" + "".join(c for c in chat if c.isalnum() or c == "-")[:40]
        if upload is not None:
            name, data = upload
            safe = "".join(c if c.isalnum() or c in ".-_" else "_" for c in name)[-80:]
            (self.folder / f"{stem}-{safe or 'file'}").write_bytes(data)
            message["document"] = {"file_id": f"demo-{number}", "file_unique_id": f"demo-{number}",
                                   "file_name": name, "file_size": len(data)}
            return message
        buttons = _button_labels(params.get("reply_markup"))
        (self.folder / f"{stem}.txt").write_text(
            text + (f"\n\n[buttons: {buttons}]" if buttons else "") + "\n", encoding="utf-8")
        return message


class _QuietServer(ThreadingHTTPServer):
    """No traceback on the console's terminal when a client hangs up mid-poll (the hub stops)."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


def _ok(result: Any) -> tuple[int, dict[str, Any]]:
    return HTTPStatus.OK, {"ok": True, "result": result}


def _form_data(content_type: str, raw: bytes) -> dict[str, Any]:
    """multipart/form-data (an upload): fields as text, the file as `_upload` (name, bytes)."""
    form = BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw)
    fields: dict[str, Any] = {}
    if not isinstance(form, EmailMessage) or not form.is_multipart():
        return fields
    for part in form.iter_parts():
        data = part.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        if part.get_filename():
            fields["_upload"] = (str(part.get_filename()), data)
        elif name := part.get_param("name", header="content-disposition"):
            fields[str(name)] = data.decode("utf-8", "replace")
    return fields


def _button_labels(markup: Any) -> str:
    """The inline keyboard's labels ("1 2 3 4 5" for a rating request), for the kept file."""
    if isinstance(markup, str):
        try:
            markup = json.loads(markup)
        except ValueError:
            return ""
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    return " ".join(str(b.get("text", "")) for row in rows for b in row if isinstance(b, dict))


def _handler_for(api: DemoBotApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def _answer(self) -> None:
            _, _, rest = self.path.partition("/bot")
            token, _, method = rest.partition("/")
            method = method.split("?", 1)[0]
            status, body = (HTTPStatus.UNAUTHORIZED,
                            {"ok": False, "error_code": 401, "description": "Unauthorized"})
            if token == api.token:
                status, body = api.call(method, self._params())
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _params(self) -> dict[str, Any]:
            """Form or JSON parameters, as the Bot API takes them."""
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            kind = self.headers.get("Content-Type") or ""
            if kind.startswith("multipart/form-data"):
                return _form_data(kind, raw)
            if "json" in kind:
                try:
                    data = json.loads(raw or b"{}")
                except ValueError:
                    return {}
                return data if isinstance(data, dict) else {}
            return dict(parse_qsl(raw.decode("utf-8", "replace")))

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the console owns the terminal."""

    return Handler
