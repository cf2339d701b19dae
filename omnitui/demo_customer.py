"""A live, simulated website-chat customer for `omnitui demo`.

It speaks the real chat protocol over the demo's socket, so what a newcomer sees in the console
(a new message arriving, a reply delivered, the customer answering back) is the product working,
not a recording.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from pathlib import Path

from omnitui.channels.chat.client import ChatClient, ChatError

OPENING = "Hi! I ordered the green raincoat (order 5521) on Monday. Has it shipped yet?"
FOLLOW_UPS = [
    "Thanks! Could you also tell me if I can swap it for size M?",
    "Perfect, that helps a lot.",
    "One last thing: do you ship to Oslo?",
    "Great, have a nice day!",
]


class LiveCustomer:
    """Runs in a daemon thread with its own event loop; `stop()` ends it."""

    def __init__(self, socket_path: Path, visitor: str = "demo-live-visitor",
                 name: str = "Lena Fischer", email: str = "lena.fischer@example.net",
                 first_delay: float = 6.0, answer_delay: float = 4.0) -> None:
        self.socket_path = socket_path
        self.visitor = visitor
        self.name = name
        self.email = email
        self.first_delay = first_delay
        self.answer_delay = answer_delay
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, name="demo-customer", daemon=True)

    def start(self) -> LiveCustomer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(3)

    def _main(self) -> None:
        with contextlib.suppress(Exception):
            asyncio.run(self._run())

    async def _run(self) -> None:
        await self._sleep(self.first_delay)
        script = iter(FOLLOW_UPS)
        while not self._stop.is_set():
            try:
                client = await ChatClient.connect(self.socket_path, timeout=2)
            except (OSError, TimeoutError):
                await self._sleep(1.0)  # the embedded hub is still starting
                continue
            try:
                welcome = await client.hello(self.visitor, self.name, self.email)
                if not welcome.get("history"):
                    await client.send(OPENING)
                async for reply in _replies(client, self._stop):
                    await client.delivered(str(reply["id"]))
                    await self._sleep(self.answer_delay)
                    text = next(script, None)
                    if text is None:
                        return
                    await client.typing()
                    await self._sleep(1.5)
                    await client.send(text)
            except (ChatError, OSError, TimeoutError):
                await self._sleep(1.0)
            finally:
                await client.close()

    async def _sleep(self, seconds: float) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._stop.wait, seconds)


async def _replies(client: ChatClient, stop: threading.Event):  # type: ignore[no-untyped-def]
    """Agent `message` pushes, once each (the hub may push one again), until the connection
    ends or we are stopped."""
    seen: set[str] = set()
    while not stop.is_set():
        try:
            obj = await asyncio.wait_for(client.incoming.get(), 0.5)
        except TimeoutError:
            continue
        if obj is None:
            return
        if obj.get("type") == "message" and str(obj.get("id")) not in seen:
            seen.add(str(obj.get("id")))
            yield obj
