"""A conversation started on Telegram with a customer who wrote to the bot before: through the
real hub to the Bot API stand-in, signed as configured for the channel; a customer who never
wrote to the bot is refused in one sentence (the Bot API would refuse it too)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from omnitui.config import parse_settings
from omnitui.core.agent_signatures import set_signature
from omnitui.core.agents import add_agent
from omnitui.core.compose import start_conversation
from omnitui.core.errors import ActionError
from omnitui.core.permissions import Actor, Login
from omnitui.core.signatures import Signing
from omnitui.store.db import Store
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.hub_waits import rows, until
from tests.telegram.conftest import TOKEN_ENV
from tests.telegram.test_telegram_hub import hub


async def test_telegram_start_reaches_a_known_identity(tg: FakeTelegram, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    settings = parse_settings({
        "omnitui": {"data_dir": str(tmp_path / "data"), "shop_name": "Shoe Shop"},
        "channels": {"bot": {"kind": "telegram", "token_env": TOKEN_ENV,
                             "base_url": tg.base_url, "base_file_url": tg.base_file_url,
                             "poll_timeout": 2}},
    }, None)
    channels = {"bot": "telegram"}
    tg.message(5512, "hi, is the shop open on Sunday?", first_name="Marek")
    async with hub(settings):
        await until(lambda: rows(settings, "SELECT 1 FROM message"), what="the first message")
        [(customer,)] = rows(settings, "SELECT customer_id FROM identity")
        store = Store.open(settings.database)
        try:
            ann = add_agent(store, "ann", "Ann Kowalska")
            # Telegram signs only when configured: here, ann's own signature for this channel.
            set_signature(store, Actor("ann", Login("ann", False), False), "ann",
                          "— {agent_first_name}, {shop_name}", channel="bot",
                          channels=channels)
            started = await asyncio.to_thread(
                start_conversation, store, ann, f"#{customer}", "Your order is ready.",
                channels=channels, signing=Signing.from_settings(settings))
            assert started.channel == "bot"
            await until(lambda: tg.sent_to(5512), what="the message at the Bot API")
            assert tg.sent_to(5512)[0].params["text"] == \
                "Your order is ready.\n\n— Ann, Shoe Shop"
            await until(lambda: rows(settings, "SELECT 1 FROM message WHERE id = ? AND "
                                     "delivery_state = 'sent'", (started.message_id,)),
                        what="sent")
            # An email-only customer cannot be written to on Telegram: nothing is stored.
            with store.write("test") as tx:
                other = tx.insert("customer", {"name": "Olga", "created_at": tx.now})
                tx.insert("identity", {"customer_id": other, "kind": "email",
                                       "address": "olga@example.org", "channel": "",
                                       "created_at": tx.now})
            before = rows(settings, "SELECT count(*) FROM message")
            with pytest.raises(ActionError, match="Olga has no Telegram identity: a bot can "
                                                  "only write to people who have written"):
                start_conversation(store, ann, "olga@example.org", "Hello", channels=channels,
                                   via="telegram")
            assert rows(settings, "SELECT count(*) FROM message") == before
        finally:
            store.close()
    assert len(tg.sent_to(5512)) == 1
