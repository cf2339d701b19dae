"""An agent's file to a website visitor: named in the reply, fetched byte for byte by that
visitor's token only, and refused before anything is stored when over the chat's limit."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from omnitui.agent_files import file_limits
from omnitui.core.errors import ActionError
from omnitui.core.reply import reply
from omnitui.store.db import Store
from tests.chat.chathelpers import agent, conversation_of
from tests.chat.test_chat_web_security import start_web_hub
from tests.chat.webhelpers import Browser

ALL_BYTES = bytes(range(256)) * 40


def reply_with_files(settings, visitor: str, files: list[Path]) -> int:  # type: ignore[no-untyped-def]
    store = Store(settings.database)
    try:
        return reply(store, conversation_of(store, visitor), "Your files", agent(store),
                     attachments=files, attachments_dir=settings.attachments_dir,
                     file_limits=file_limits(settings)).message_id
    finally:
        store.close()


async def test_a_visitor_downloads_the_agents_files_and_nobody_else_can(
        short_dir: Path, tmp_path: Path) -> None:
    hub, base = await start_web_hub(short_dir, web_upload_max="16KB")
    invoice = tmp_path / "Faktura №7.bin"
    invoice.write_bytes(ALL_BYTES)
    odd = tmp_path / "chart.png"
    odd.write_bytes(b"\x89PNG\r\n\x1a\n" + ALL_BYTES[:100])
    try:
        async with aiohttp.ClientSession() as http:
            olga = Browser(http, base)
            await olga.session()
            await olga.connect()
            await olga.hello(name="Olga")
            await olga.ask({"type": "message", "id": "m1", "text": "send me the invoice"})
            message_id = await asyncio.to_thread(reply_with_files, hub.settings, olga.visitor,
                                                 [invoice, odd])
            pushed = await olga.recv_type("message")
            assert pushed["id"] == str(message_id)
            assert pushed["attachments"] == [
                {"id": f"{message_id}-0", "name": "Faktura №7.bin",
                 "type": "application/octet-stream", "size": len(ALL_BYTES)},
                {"id": f"{message_id}-1", "name": "chart.png", "type": "image/png",
                 "size": 108}]

            async def fetch(file_id: str, token: str | None) -> tuple[int, bytes, dict]:
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                async with http.get(f"{base}/chat/file/{file_id}", headers=headers) as resp:
                    return resp.status, await resp.read(), dict(resp.headers)

            status, body, headers = await fetch(f"{message_id}-0", olga.token)
            assert (status, body) == (200, ALL_BYTES)
            assert headers["Content-Type"] == "application/octet-stream"
            assert headers["Content-Disposition"].startswith("attachment;")
            assert "filename*=UTF-8''Faktura%20%E2%84%967.bin" in headers["Content-Disposition"]
            status, body, headers = await fetch(f"{message_id}-1", olga.token)
            assert status == 200 and body == odd.read_bytes()
            assert headers["Content-Type"] == "application/octet-stream"  # never shown inline
            # A reload's history names the same files with the same ids.
            again = Browser(http, base)
            again.token, again.visitor = olga.token, olga.visitor
            await again.connect()
            history = (await again.hello())["history"]
            assert [h.get("attachments") for h in history if h["from"] == "agent"] == [
                pushed["attachments"]]
            await again.close()

            # Another visitor, no token, a forged token, an id that is no file: nothing.
            mallory = Browser(http, base)
            await mallory.session()
            for file_id, token, expected in ((f"{message_id}-0", mallory.token, 404),
                                             (f"{message_id}-0", None, 401),
                                             (f"{message_id}-0", olga.visitor, 401),
                                             (f"{message_id}-2", olga.token, 404),
                                             ("../../omnitui.db", olga.token, 404)):
                status, body, _ = await fetch(file_id, token)
                assert status == expected and ALL_BYTES not in body, (file_id, expected)

            # Over the chat's 16 KB: one sentence, nothing stored, nothing pushed.
            big = tmp_path / "big.bin"
            big.write_bytes(b"x" * 17_000)
            with pytest.raises(ActionError, match="can be at most 16,000 bytes"):
                await asyncio.to_thread(reply_with_files, hub.settings, olga.visitor, [big])
            with pytest.raises(asyncio.TimeoutError):
                await olga.recv_type("message", timeout=0.5)
            await olga.close()
    finally:
        await hub.close()
