"""The hub claims due replies and reads what each channel needs in one trip to its database
thread (`outbox.claim_loaded`); delivery order and the exactly-once rules stay as they were."""

from __future__ import annotations

from omnitui.channels.base import Inbound
from omnitui.config import Settings
from omnitui.core import actions, outbox
from omnitui.core.agents import AgentRow
from omnitui.core.ingest import ingest
from omnitui.store.db import Store
from tests.hub.test_hub_outbox import ScriptedChannel, run_hub_until, state_of


def chat_conversation(store: Store) -> int:
    return ingest(store, Inbound(channel="chat", kind="chat", external_id="v1:1",
                                 address="v1", text="hello")).conversation_id


def test_claim_loaded_reads_each_claimed_reply(settings: Settings, store: Store,
                                               ann: AgentRow) -> None:
    conv = chat_conversation(store)
    ids = [actions.reply(store, conv, f"reply {n}", ann).message_id for n in range(3)]
    loaded = outbox.claim_loaded(store, {"chat"}, 50, settings.attachments_dir)
    assert [item.message_id for item, _ in loaded] == ids
    assert [out.text for _, out in loaded] == ["reply 0", "reply 1", "reply 2"]  # type: ignore[union-attr]
    assert all(out.address == "v1" and out.attempt == 1 for _, out in loaded)  # type: ignore[union-attr]
    assert {state_of(store, i)[:3:2] for i in ids} == {("sending", "sending")}
    assert outbox.claim_loaded(store, {"chat"}, 50, settings.attachments_dir) == []
    assert outbox.claim_loaded(store, set(), 50, settings.attachments_dir) == []


async def test_replies_queued_while_sending_leave_once_in_order(settings: Settings,
                                                                store: Store,
                                                                ann: AgentRow) -> None:
    conv = chat_conversation(store)
    channel = ScriptedChannel("chat", [])
    ids = [actions.reply(store, conv, f"first {n}", ann).message_id for n in range(3)]

    def queue_more_after_first() -> bool:
        if len(channel.sent) >= 1 and len(ids) == 3:
            ids.extend(actions.reply(store, conv, f"then {n}", ann).message_id
                       for n in range(3))
        return len(channel.sent) >= 6

    await run_hub_until(settings, channel, queue_more_after_first)
    assert [out.message_id for out in channel.sent] == ids
    assert [state_of(store, i)[0] for i in ids] == ["sent"] * 6
