"""The hub's outbox: retries, permanent failures, ambiguous sends and crash recovery.

The channel here is a real in-process implementation of the Channel protocol whose answers the
test scripts, so each delivery rule is exercised against the real hub, store and feed.
"""

from __future__ import annotations

import asyncio
from collections import deque
from pathlib import Path
from typing import Any

import pytest

from omnitui.channels.base import (
    AmbiguousError,
    ChannelContext,
    ConfigError,
    Inbound,
    Outbound,
    PermanentError,
    ResendPolicy,
    SendResult,
    TemporaryError,
)
from omnitui.config import Settings
from omnitui.core import actions, outbox
from omnitui.core.agents import AgentRow
from omnitui.core.ingest import ingest
from omnitui.hub import EmbeddedHub, HubRunning, serve, start_embedded_hub
from omnitui.store.db import Store


class ScriptedChannel:
    """Answers each send with the next scripted outcome (an exception or None for success)."""

    kind = "chat"

    def __init__(self, name: str, script: list[BaseException | None],
                 policy: ResendPolicy = "resend") -> None:
        self.name = name
        self.resend_policy = policy
        self.script = deque(script)
        self.sent: list[Outbound] = []
        self.runs = 0
        self.crash_runs = 0

    async def run(self, ctx: ChannelContext) -> None:
        self.runs += 1
        if self.runs <= self.crash_runs:
            raise RuntimeError("listener exploded")
        await ctx.set_state("up")
        await asyncio.Event().wait()

    async def send(self, out: Outbound) -> SendResult:
        outcome = self.script.popleft() if self.script else None
        self.sent.append(out)
        if outcome is not None:
            raise outcome
        return SendResult()


def state_of(store: Store, message_id: int) -> tuple[Any, ...]:
    row = store.conn.execute(
        "SELECT m.delivery_state, m.failure_reason, o.state, o.attempts FROM message m "
        "JOIN outbox o ON o.message_id = m.id WHERE m.id = ?", (message_id,)).fetchone()
    return tuple(row)


async def run_hub_until(settings: Settings, channel: ScriptedChannel, done: Any,
                        timeout: float = 10.0) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, install_signals=False,
                                     channels={channel.name: channel}, stop=stop))
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while not done():
            assert not task.done(), task.exception()
            assert asyncio.get_running_loop().time() < deadline, "timed out"
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


@pytest.fixture
def conversation(store: Store) -> int:
    return ingest(store, Inbound(channel="chat", kind="chat", external_id="v1:1", address="v1",
                                 text="hello")).conversation_id


async def test_success_marks_sent(settings: Settings, store: Store, ann: AgentRow,
                                  conversation: int) -> None:
    q = actions.reply(store, conversation, "hi", ann)
    ch = ScriptedChannel("chat", [None])
    await run_hub_until(settings, ch, lambda: state_of(store, q.message_id)[0] == "sent")
    assert [o.text for o in ch.sent] == ["hi"]


async def test_temporary_error_retries_then_succeeds(settings: Settings, store: Store,
                                                     ann: AgentRow, conversation: int) -> None:
    q = actions.reply(store, conversation, "hi", ann)
    ch = ScriptedChannel("chat", [TemporaryError("451 try later", retry_after=0.1), None])
    await run_hub_until(settings, ch, lambda: state_of(store, q.message_id)[0] == "sent")
    assert len(ch.sent) == 2 and state_of(store, q.message_id)[3] == 2


async def test_permanent_error_fails_with_reason(settings: Settings, store: Store,
                                                 ann: AgentRow, conversation: int) -> None:
    q = actions.reply(store, conversation, "hi", ann)
    ch = ScriptedChannel("chat", [PermanentError("550 mailbox unavailable")])
    await run_hub_until(settings, ch, lambda: state_of(store, q.message_id)[0] == "failed")
    assert state_of(store, q.message_id)[1] == "550 mailbox unavailable"
    assert len(ch.sent) == 1


async def test_ambiguous_resends_once_never_twice(settings: Settings, store: Store,
                                                  ann: AgentRow, conversation: int) -> None:
    q = actions.reply(store, conversation, "hi", ann)
    ch = ScriptedChannel("chat", [AmbiguousError("lost after DATA"),
                                  AmbiguousError("lost after DATA again")], "resend_once")
    await run_hub_until(settings, ch, lambda: state_of(store, q.message_id)[0] == "failed")
    assert len(ch.sent) == 2
    assert ch.sent[1].after_ambiguous and ch.sent[1].wire_id == ch.sent[0].wire_id
    assert "not resent" in state_of(store, q.message_id)[1]


@pytest.mark.parametrize(("policy", "expected"), [("resend", "queued"),
                                                  ("resend_once", "queued"),
                                                  ("fail", "failed")])
def test_crash_while_sending_follows_policy(store: Store, ann: AgentRow, conversation: int,
                                            policy: ResendPolicy, expected: str) -> None:
    q = actions.reply(store, conversation, "hi", ann)
    claimed = outbox.claim_due(store, {"chat"})
    assert [c.message_id for c in claimed] == [q.message_id]
    outbox.recover_interrupted(store, "chat", policy)
    assert state_of(store, q.message_id)[0] == expected
    if policy == "resend_once":  # a second crash of the same send fails it
        outbox.claim_due(store, {"chat"})
        outbox.recover_interrupted(store, "chat", policy)
        assert state_of(store, q.message_id)[0] == "failed"


async def test_crashing_channel_is_restarted_and_state_recorded(settings: Settings,
                                                                store: Store) -> None:
    ch = ScriptedChannel("chat", [])
    ch.crash_runs = 1

    def up() -> bool:
        row = store.conn.execute("SELECT state FROM channel_state").fetchone()
        return ch.runs >= 2 and row is not None and row[0] == "up"

    await run_hub_until(settings, ch, up)
    errors = store.conn.execute("SELECT last_error FROM channel_state").fetchone()[0]
    assert errors == "listener exploded"


class MisconfiguredChannel(ScriptedChannel):
    async def run(self, ctx: ChannelContext) -> None:
        self.runs += 1
        raise ConfigError("IMAP login refused for support@shop.example")


async def test_config_problem_is_shown_not_hot_looped(settings: Settings, store: Store) -> None:
    ch = MisconfiguredChannel("chat", [])
    seen: list[str] = []

    def failed() -> bool:
        row = store.conn.execute("SELECT state, detail FROM channel_state").fetchone()
        if row is not None and row[0] == "failed":
            seen.append(row[1])
        return bool(seen)

    await run_hub_until(settings, ch, failed)
    assert seen[0] == "configuration problem: IMAP login refused for support@shop.example"
    assert ch.runs == 1  # waits for a person instead of retrying every second


async def test_second_hub_for_same_data_dir_is_refused(settings: Settings, store: Store) -> None:
    hub = start_embedded_hub(settings)
    assert isinstance(hub, EmbeddedHub)
    try:
        assert start_embedded_hub(settings) is None
        with pytest.raises(HubRunning, match=r"process \d+"):
            await serve(settings, install_signals=False, channels={})
    finally:
        hub.stop()
    again = start_embedded_hub(settings)
    assert again is not None
    again.stop()


def test_embedded_hub_delivers_reply_queued_elsewhere(settings: Settings, store: Store,
                                                      ann: AgentRow, conversation: int,
                                                      tmp_path: Path) -> None:
    hub = start_embedded_hub(settings)
    assert hub is not None
    try:
        q = actions.reply(store, conversation, "hello from another process", ann)
        for _ in range(200):
            if state_of(store, q.message_id)[0] not in ("queued", "sending"):
                break
            import time

            time.sleep(0.02)
        # With no visitor connected the chat channel hands it over for the next hello.
        assert state_of(store, q.message_id)[0] in ("sent", "delivered")
    finally:
        hub.stop()
