"""Uploads through the website gateway: the allow-list, the size limit, stored as attachments."""

from __future__ import annotations

import hashlib
from pathlib import Path

import aiohttp
import pytest

from omnitui.config import ConfigError, parse_settings
from omnitui.store.db import Store
from omnitui.store.files import read_blob
from tests.chat.test_chat_web_security import start_web_hub
from tests.chat.webhelpers import ORIGIN, Browser

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8


async def test_an_allowed_upload_becomes_an_attachment_of_the_message(short_dir: Path) -> None:
    hub, base = await start_web_hub(short_dir, web_upload_max="4KB",
                                    web_upload_types=["application/pdf", "image/png"])
    try:
        async with aiohttp.ClientSession() as http:
            b = Browser(http, base)
            await b.session()
            status, up = await b.upload("../../etc/Rece\u202eipt.pdf", PDF, "application/pdf")
            assert status == 201, up
            assert up["name"] == "Receipt.pdf" and up["type"] == "application/pdf"
            assert up["size"] == len(PDF)
            await b.connect()
            await b.hello()
            ack = await b.ask({"type": "message", "id": "f1", "text": "",
                               "attachments": [up["id"]]})
            assert ack == {"type": "ack", "id": "f1"}
            # A resend of the same message after a reconnect: stored once.
            assert (await b.ask({"type": "message", "id": "f1", "text": "",
                                 "attachments": [up["id"]]}))["type"] == "ack"

            # Refused: a type off the list, a name that contradicts its type, too big, empty,
            # no token, and an upload id nobody issued.
            for name, data, ctype, code, http_status in (
                    ("page.html", b"<b>x</b>", "text/html", "bad_type", 415),
                    ("page.html", b"<b>x</b>", "image/png", "bad_type", 415),
                    ("big.pdf", b"%PDF" + b"x" * 5000, "application/pdf", "too_long", 413),
                    ("empty.pdf", b"", "application/pdf", "bad_field", 400)):
                status, body = await b.upload(name, data, ctype)
                assert (status, body["error"]["code"]) == (http_status, code), name
            status, body = await b.upload("a.pdf", PDF, "application/pdf", token="nope")
            assert (status, body["error"]["code"]) == (401, "auth")
            async with http.post(f"{base}/chat/upload", data=b"raw",
                                 headers={"Origin": ORIGIN,
                                          "Authorization": f"Bearer {b.token}"}) as resp:
                assert resp.status == 400
            forged = "0" * 64 + "." + up["id"].split(".", 1)[1]
            refused = await b.ask({"type": "message", "id": "f2", "text": "x",
                                   "attachments": [forged]})
            assert refused["code"] == "bad_field"

            # A reload shows the file in the history, by name.
            await b.close()
            await b.connect()
            history = (await b.hello())["history"]
            assert history[0]["attachments"] == [
                {"name": "Receipt.pdf", "type": "application/pdf", "size": len(PDF)}]

        digest = hashlib.sha256(PDF).hexdigest()
        store = Store.open(hub.settings.database)
        try:
            rows = store.conn.execute(
                "SELECT a.filename, a.content_type, a.size, a.sha256 FROM attachment a "
                "JOIN message m ON m.id = a.message_id WHERE m.kind = 'inbound'").fetchall()
            # where every host reads it: the file beside SQLite, the database's own rows
            assert read_blob(store, hub.settings.attachments_dir, digest) == PDF
        finally:
            store.close()
        assert [tuple(r) for r in rows] == [("Receipt.pdf", "application/pdf", len(PDF), digest)]
    finally:
        await hub.close()


@pytest.mark.parametrize(("chat", "message"), [
    ({"web": "127.0.0.1:8089"}, "'channels.chat.web_origins'"),
    ({"web": "8089", "web_origins": ["https://a.example"]}, "'channels.chat.web' "),
    ({"web": "127.0.0.1:8089", "web_origins": ["https://a.example/path"]}, "not an origin"),
    ({"web": "127.0.0.1:8089", "web_origins": "https://a.example"}, "must be a list"),
    ({"web": "127.0.0.1:8089", "web_origins": ["https://a.example"],
      "web_upload_max": "lots"}, "'channels.chat.web_upload_max'"),
    ({"web": "127.0.0.1:8089", "web_origins": ["https://a.example"],
      "web_upload_types": ["pdf"]}, "not a media type"),
    ({"web": "127.0.0.1:8089", "web_origins": ["https://a.example"],
      "web_trusted_proxies": ["proxy.lan"]}, "not an IP address"),
    ({"web": "127.0.0.1:8089", "web_origins": ["https://a.example"],
      "web_strings": {"title": 3}}, "'channels.chat.web_strings'"),
    ({"web_colour": "red"}, "Unknown key 'channels.chat.web_colour'"),
    ({"web": "127.0.0.1:8089", "web_origins": ["https://a.example"],
      "web_strings": {"titel": "Chat"}}, "'channels.chat.web_strings.titel'"),
    ({"web": "127.0.0.1:8089", "web_origins": ["https://a.example"],
      "web_language": "de"}, "'channels.chat.web_language'"),
])
def test_web_keys_are_validated(chat: dict[str, object], message: str) -> None:
    raw = {"omnitui": {"data_dir": "/tmp/x"}, "channels": {"chat": {"kind": "chat", **chat}}}
    with pytest.raises(ConfigError) as caught:
        parse_settings(raw, None)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_web_upload_max_takes_sizes() -> None:
    raw = {"omnitui": {"data_dir": "/tmp/x"}, "channels": {"chat": {
        "kind": "chat", "web": "127.0.0.1:8089", "web_origins": ["https://a.example"],
        "web_upload_max": "512 KiB", "web_strings": {"title": "Napisz do nas"}}}}
    chat = parse_settings(raw, None).channels["chat"]
    assert chat.web_upload_bytes == 512 * 1024
    assert chat.web_strings == {"title": "Napisz do nas"}
