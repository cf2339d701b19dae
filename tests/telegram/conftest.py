"""Fixtures for the Telegram channel tests: a fake Bot API on loopback and a recording context."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path

import pytest

from omnitui.channels.base import Inbound
from omnitui.channels.telegram import TelegramChannel
from omnitui.config import TelegramSettings
from tests.fakes.telegram_api import TOKEN, FakeTelegram

TOKEN_ENV = "OMNITUI_TEST_TELEGRAM_TOKEN"


class RecordingContext:
    """ChannelContext without a database: batch + cursor together, idempotent on external_id."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._cursor: str | None = None
        self.messages: dict[str, Inbound] = {}
        self.batches: list[tuple[list[Inbound], str | None]] = []
        self.states: list[tuple[str, str | None]] = []
        self.lines: list[str] = []
        self.changed = asyncio.Event()
        self.fail_next_ingest = 0

    async def ingest(self, batch: Sequence[Inbound], cursor: str | None = None) -> list[int]:
        if self.fail_next_ingest:
            self.fail_next_ingest -= 1
            raise RuntimeError("database is locked (simulated)")
        self.batches.append((list(batch), cursor))
        for item in batch:
            self.messages.setdefault(item.external_id, item)
        if cursor is not None:
            self._cursor = cursor
        self.changed.set()
        return [list(self.messages).index(i.external_id) + 1 for i in batch]

    def cursor(self) -> str | None:
        return self._cursor

    async def set_state(self, state: str, detail: str | None = None) -> None:
        self.states.append((state, detail))
        self.changed.set()

    def log(self, message: str) -> None:
        self.lines.append(message)
        self.changed.set()

    async def until(self, check: Callable[[], bool], timeout: float = 10.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not check():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out; {len(self.messages)} messages, states="
                                     f"{self.states[-4:]}, log={self.lines[-4:]}")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(remaining, 0.2))

    async def wait_for(self, count: int, timeout: float = 10.0) -> None:
        await self.until(lambda: len(self.messages) >= count, timeout)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The poller calls do_api_request("getUpdates") on purpose; PTB's hint is noise here."""
    for item in items:
        if "telegram" in item.nodeid:
            item.add_marker(pytest.mark.filterwarnings("ignore:Please use 'Bot.getUpdates'"))
            item.add_marker(pytest.mark.filterwarnings("ignore:.*attribute `retry_after`"))


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def settings_for(monkeypatch: pytest.MonkeyPatch) -> Callable[..., TelegramSettings]:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)

    def make(server: FakeTelegram, **overrides: object) -> TelegramSettings:
        values: dict[str, object] = {
            "kind": "telegram", "token_env": TOKEN_ENV, "base_url": server.base_url,
            "base_file_url": server.base_file_url, "poll_timeout": 2,
        }
        values.update(overrides)
        return TelegramSettings(**values)  # type: ignore[arg-type]

    return make


@pytest.fixture
def ctx(tmp_path: Path) -> RecordingContext:
    return RecordingContext(tmp_path)


Runner = Callable[..., Awaitable[TelegramChannel]]


@pytest.fixture
async def running(tg: FakeTelegram, settings_for: Callable[..., TelegramSettings],
                  ctx: RecordingContext) -> AsyncIterator[Runner]:
    """Start channels' run() as tasks; all are cancelled and closed at the end of the test."""
    started: list[tuple[TelegramChannel, asyncio.Task[None]]] = []

    async def start(name: str = "bot", context: RecordingContext | None = None,
                    **overrides: object) -> TelegramChannel:
        channel = TelegramChannel(name, settings_for(tg, **overrides), backoff=(0.05, 0.2))
        task = asyncio.create_task(channel.run(context or ctx))
        started.append((channel, task))
        return channel

    yield start
    for channel, task in started:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        await channel.close()
