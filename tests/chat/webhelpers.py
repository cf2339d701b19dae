"""A hub with the website gateway on 127.0.0.1, and an aiohttp client that acts as a browser
(it sends the page's `Origin`, keeps its token, speaks JSON frames)."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp

from omnitui.config import Settings, parse_settings
from tests.chat.conftest import ChildProcess

ORIGIN = "https://shop.example"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def web_settings(root: Path, port: int, hours: dict[str, str] | None = None,
                 **chat: Any) -> Settings:
    table = {"kind": "chat", "web": f"127.0.0.1:{port}", "web_origins": [ORIGIN], **chat}
    raw: dict[str, Any] = {"omnitui": {"data_dir": str(root), "timezone": "UTC"},
                           "channels": {"chat": table}}
    if hours is not None:
        raw["hours"] = hours
    return parse_settings(raw, None)


async def wait_for_http(base: str, timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with aiohttp.ClientSession() as http:
        while loop.time() < deadline:
            try:
                async with http.get(f"{base}/chat/config") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError(f"no gateway at {base}")


class Browser:
    """One visitor's browser: a token from /chat/session, then a WebSocket."""

    def __init__(self, http: aiohttp.ClientSession, base: str, origin: str = ORIGIN) -> None:
        self.http = http
        self.base = base
        self.origin = origin
        self.token: str | None = None
        self.visitor: str | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None

    async def session(self) -> dict[str, Any]:
        async with self.http.post(f"{self.base}/chat/session",
                                  headers={"Origin": self.origin}) as resp:
            body = await resp.json()
            assert resp.status == 201, body
        self.token, self.visitor = body["token"], body["visitor"]
        return body

    async def connect(self, token: str | None = None) -> aiohttp.ClientWebSocketResponse:
        self.ws = await self.http.ws_connect(
            f"{self.base}/chat/ws", params={"token": self.token or "" if token is None else token},
            headers={"Origin": self.origin})
        return self.ws

    async def connect_plain(self) -> aiohttp.ClientWebSocketResponse:
        """A WebSocket without `?token=`: the token goes in the `hello`."""
        self.ws = await self.http.ws_connect(f"{self.base}/chat/ws",
                                             headers={"Origin": self.origin})
        return self.ws

    async def send(self, obj: dict[str, Any] | str) -> None:
        assert self.ws is not None
        await self.ws.send_str(obj if isinstance(obj, str) else json.dumps(obj))

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        assert self.ws is not None
        msg = await self.ws.receive(timeout)
        assert msg.type is aiohttp.WSMsgType.TEXT, (msg.type, msg.data, msg.extra)
        return json.loads(msg.data)

    async def recv_type(self, kind: str, timeout: float = 5.0) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            obj = await self.recv(max(0.05, deadline - loop.time()))
            if obj.get("type") == kind:
                return obj

    async def ask(self, obj: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
        await self.send(obj)
        return await self.recv(timeout)

    async def hello(self, **fields: Any) -> dict[str, Any]:
        return await self.ask({"type": "hello", **fields})

    async def upload(self, name: str, data: bytes, content_type: str,
                     token: str | None = None) -> tuple[int, dict[str, Any]]:
        form = aiohttp.FormData()
        form.add_field("file", data, filename=name, content_type=content_type)
        async with self.http.post(
                f"{self.base}/chat/upload", data=form,
                headers={"Origin": self.origin,
                         "Authorization": f"Bearer {token or self.token}"}) as resp:
            return resp.status, await resp.json()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


WEB_HUB_SCRIPT = """
import asyncio, json, sys
from omnitui.config import parse_settings
from omnitui.hub import serve, setup_logging
settings = parse_settings(json.loads(sys.argv[1]), None)
setup_logging(settings, to_stderr=False)
asyncio.run(serve(settings))
"""


class WebHubProcess(ChildProcess):
    """A hub with the gateway in a child process, so it can be killed with SIGKILL."""

    def __init__(self, root: Path, port: int, **chat: Any) -> None:
        self.root = root
        self.port = port
        self.raw = {"omnitui": {"data_dir": str(root), "timezone": "UTC"},
                    "channels": {"chat": {"kind": "chat", "web": f"127.0.0.1:{port}",
                                          "web_origins": [ORIGIN], **chat}}}
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> WebHubProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WEB_HUB_SCRIPT, json.dumps(self.raw)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await wait_for_http(self.base, timeout=30)
        return self
