"""An agent's files by Telegram through the real hub and the Bot API stand-in: byte for byte
under their names; a file over the Bot API's 50 MB is refused before anything is stored."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from omnitui.agent_files import file_limits
from omnitui.core.agents import add_agent
from omnitui.core.errors import ActionError
from omnitui.core.reply import reply
from omnitui.store.db import Store
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.hub_waits import rows, until
from tests.telegram.conftest import TOKEN_ENV
from tests.telegram.test_telegram_hub import hub, hub_settings

ALL_BYTES = bytes(range(256)) * 100


async def test_files_arrive_byte_identical_by_telegram(tg: FakeTelegram, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    settings = hub_settings(tmp_path / "data", tg.base_url, tg.base_file_url)
    doc = tmp_path / "Счёт 4412.bin"
    doc.write_bytes(ALL_BYTES)
    huge = tmp_path / "video.mp4"
    with open(huge, "wb") as fh:
        fh.truncate(50 * 1000 * 1000 + 1)  # sparse: over the Bot API's limit, costs no disk
    tg.message(42, "please send the invoice")
    async with hub(settings):
        await until(lambda: rows(settings, "SELECT 1 FROM message"), what="the customer")
        [(conv,)] = rows(settings, "SELECT conversation_id FROM message")
        store = Store.open(settings.database)
        try:
            eve = add_agent(store, "eve", "Eve")
            with pytest.raises(ActionError, match=r"video\.mp4 is 50\.0 MB; no channel sends"):
                reply(store, conv, "Too big", eve, attachments=[doc, huge],
                      attachments_dir=settings.attachments_dir,
                      file_limits=file_limits(settings))
            assert rows(settings, "SELECT count(*) FROM attachment") == [(0,)]
            await asyncio.to_thread(reply, store, conv, "Here it is", eve, attachments=[doc],
                                    attachments_dir=settings.attachments_dir,
                                    file_limits=file_limits(settings))
        finally:
            store.close()
        await until(lambda: [s for s in tg.sent_to(42) if s.method == "sendDocument"],
                    what="the document at the Bot API")
    [document] = [s for s in tg.sent_to(42) if s.method == "sendDocument"]
    assert (document.filename, document.file) == ("Счёт 4412.bin", ALL_BYTES)
    assert [s.params.get("text") for s in tg.sent_to(42) if s.method == "sendMessage"] == [
        "Here it is"]
