"""The widget where things go wrong: hostile text from both sides, uploads within and beyond
the shop's limits, a page whose origin is not allowed, and a hub killed mid-conversation."""

from __future__ import annotations

import hashlib
import zlib
from struct import pack

from playwright.sync_api import expect

from tests.web.conftest import PageServer, Shop, Visitor

SHOP = {"web_upload_max": "200KB", "web_upload_types": ["image/png", "application/pdf"],
        "rate_limit": 6, "rate_window": 3.0}

HOSTILE = ('<img src=x onerror="window.__pwned=1"> [@click=app.quit] [b]bold[/b] '
           '<script>window.__pwned=2</script>\x07\x1b[31mred\u202egnp.exe\u202c end')
CONTROLS = ("\x07", "\x1b", "\u202e", "\u202c")


def png(size: int) -> bytes:
    """A real PNG of about `size` bytes (random-looking pixels do not compress)."""
    side = max(1, int((size / 3) ** 0.5))
    rows = b"".join(b"\x00" + hashlib.sha256(bytes([y % 256, y // 256])).digest() * (side // 10)
                    + b"\x00" * (side * 3 - 32 * (side // 10)) for y in range(side))
    def chunk(kind: bytes, body: bytes) -> bytes:
        return pack(">I", len(body)) + kind + body + pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 0)) + chunk(b"IEND", b""))


def test_hostile_text_from_both_sides_is_plain_text(shop: Shop, visitor: Visitor) -> None:
    page = visitor.page
    page.goto(shop.page.url("/plain"))  # no CSP here: markup that ran would show
    visitor.start_chat(name='<b onclick="x()">Eve</b>\u202e', email="")
    visitor.write(HOSTILE)
    visitor.wait_sent(1)
    visitor_id = visitor.state()["visitor"]
    stored = shop.wait_inbound(visitor_id, 1)[0]
    assert '<img src=x onerror="window.__pwned=1">' in stored["text"]
    assert "[@click=app.quit]" in stored["text"]
    assert not any(c in stored["text"] for c in CONTROLS)
    shown = shop.cli("conversation", "show", str(stored["conversation_id"]))
    assert "[@click=app.quit]" in shown and "[b]bold[/b]" in shown  # no markup in the CLI

    shop.cli("reply", str(stored["conversation_id"]), HOSTILE)
    agent_body = page.locator(".oc-from-agent .oc-body")
    expect(agent_body).to_contain_text("[@click=app.quit]")
    for body in visitor.bodies():
        assert body.startswith('<img src=x onerror="window.__pwned=1"> [@click=app.quit] [b]')
        assert "<script>window.__pwned=2</script>" in body
        assert not any(c in body for c in CONTROLS)
    expect(page.locator(".oc-from-customer .oc-who")).to_have_text('<b onclick="x()">Eve</b>')
    widget = page.locator("#omnitui-chat")
    assert widget.locator("img, script, b, [onerror], [onclick]").count() == 0
    assert page.evaluate("window.__pwned") is None and visitor.errors == []
    page.reload()  # history is text too
    expect(page.locator(".oc-msg")).to_have_count(2)
    assert widget.locator("img, script, b").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_uploads_within_and_beyond_the_limits(shop: Shop, visitor: Visitor) -> None:
    page = visitor.page
    page.goto(shop.page.url())
    visitor.start_chat()
    picker = page.locator("input.oc-file")
    receipt = png(40_000)
    picker.set_input_files({"name": "receipt.png", "mimeType": "image/png", "buffer": receipt})
    label = f"receipt.png ({round(len(receipt) / 1000)} kB)"
    item = page.locator(".oc-from-customer .oc-file-item")
    expect(item).to_have_text(label, timeout=10_000)
    visitor.wait_sent(1)
    visitor_id = visitor.state()["visitor"]
    message = shop.wait_inbound(visitor_id, 1)[0]
    files = shop.query("SELECT filename, content_type, size, sha256 FROM attachment "
                       "WHERE message_id = ?", message["id"])
    assert [tuple(f) for f in files] == [("receipt.png", "image/png", len(receipt),
                                          hashlib.sha256(receipt).hexdigest())]

    alert = page.locator("form.oc-compose .oc-error")
    picker.set_input_files({"name": "big.png", "mimeType": "image/png", "buffer": png(300_000)})
    expect(alert).to_have_text("big.png is too large; files can be at most 200 kB.")
    picker.set_input_files({"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hi"})
    expect(alert).to_have_text("Files of the type of notes.txt cannot be sent; allowed: "
                               "image/png, application/pdf.")
    # A file the browser calls a PNG but whose name says otherwise: the gateway decides.
    picker.set_input_files({"name": "run.exe", "mimeType": "image/png", "buffer": receipt})
    expect(alert).to_contain_text("run.exe could not be sent:")
    page.wait_for_timeout(300)
    assert len(shop.messages(visitor_id)) == 1  # nothing refused was stored

    page.reload()
    expect(page.locator(".oc-file-item")).to_have_text(label)


def test_a_page_from_an_origin_not_allowed_is_refused(shop: Shop, visitor: Visitor) -> None:
    stranger = PageServer(shop.gateway)  # same page, another origin
    try:
        page = visitor.page
        page.goto(stranger.url())
        page.locator(".oc-launcher").click()
        expect(page.locator(".oc-notice")).to_have_text("This page may not open the chat.")
        expect(page.locator("form.oc-prechat")).to_be_hidden()
        assert "omnitui-chat" not in visitor.storage() or "token" not in visitor.state()
    finally:
        stranger.close()
    assert shop.query("SELECT count(*) FROM identity WHERE kind = 'chat'")[0][0] >= 0
    before = shop.query("SELECT count(*) FROM message")[0][0]
    # Directly, too: the session endpoint and the WebSocket refuse this origin.
    status = page.evaluate("""async gw => {
        const r = await fetch(gw + '/chat/session', {method: 'POST', mode: 'no-cors'});
        return r.type;
    }""", shop.gateway)
    assert status == "opaque"
    code = page.evaluate("""gw => new Promise(done => {
        const ws = new WebSocket(gw.replace('http', 'ws') + '/chat/ws?token=' + 'a'.repeat(43));
        ws.onclose = e => done(e.code);
    })""", shop.gateway)
    assert code == 4403
    assert shop.query("SELECT count(*) FROM message")[0][0] == before


def test_hub_killed_mid_conversation_loses_and_doubles_nothing(shop: Shop,
                                                                visitor: Visitor) -> None:
    page = visitor.page
    page.goto(shop.page.url())
    visitor.start_chat()
    visitor.write("one")
    visitor.wait_sent(1)
    visitor_id = visitor.state()["visitor"]
    conv = shop.wait_inbound(visitor_id, 1)[0]["conversation_id"]
    shop.cli("reply", str(conv), "reply one")
    expect(page.locator(".oc-from-agent .oc-body")).to_have_text("reply one")

    shop.kill()
    expect(page.locator(".oc-notice")).to_have_text("Connection lost. Reconnecting…")
    visitor.write("two")
    expect(page.locator(".oc-state-sending")).to_have_count(1)
    page.reload()  # the unacknowledged message waits in storage, not only in the page
    assert [m["text"] for m in visitor.state()["pending"]] == ["two"]
    visitor.write("three")
    shop.start()
    visitor.wait_sent(3, timeout=45_000)
    shop.cli("reply", str(conv), "reply two")
    expect(page.locator(".oc-from-agent")).to_have_count(2)
    expect(page.locator(".oc-notice")).to_be_hidden()

    assert [m["text"] for m in shop.messages(visitor_id)] == ["one", "two", "three"]
    assert visitor.bodies() == ["one", "reply one", "two", "three", "reply two"]
    assert visitor.state()["pending"] == []
    page.reload()
    expect(page.locator(".oc-msg")).to_have_count(5)
    assert visitor.bodies() == ["one", "reply one", "two", "three", "reply two"]


def test_two_tabs_of_one_visitor_share_the_conversation(shop: Shop, visitor: Visitor) -> None:
    first = visitor.page
    first.goto(shop.page.url())
    visitor.start_chat()
    second = first.context.new_page()
    second.goto(shop.page.url())
    expect(second.locator(".oc-panel")).to_be_visible()  # the same visitor, box open
    visitor.write("from the first tab")
    visitor.wait_sent(1)
    second.locator(".oc-text").fill("from the second tab")
    second.locator(".oc-text").press("Enter")
    expect(second.locator(".oc-state-sent")).to_have_count(1)
    visitor_id = visitor.state()["visitor"]
    stored = shop.wait_inbound(visitor_id, 2)
    shop.cli("reply", str(stored[0]["conversation_id"]), "to both tabs")
    for page in (first, second):
        expect(page.locator(".oc-from-agent .oc-body")).to_have_text("to both tabs")
    second.reload()
    expect(second.locator(".oc-msg")).to_have_count(3)
    assert sorted(m["text"] for m in shop.messages(visitor_id)) == [
        "from the first tab", "from the second tab"]
    assert visitor.state()["pending"] == []


def test_messages_over_the_rate_limit_wait_and_go_once(shop: Shop, visitor: Visitor) -> None:
    page = visitor.page
    page.goto(shop.page.url())
    visitor.start_chat()
    texts = [f"quick {n}" for n in range(9)]  # the shop takes 6 per 3 s from one visitor
    for text in texts:
        visitor.write(text)
    expect(page.locator(".oc-state-not_sent").first).to_have_text("Not sent yet, retrying…")
    visitor.wait_sent(len(texts), timeout=20_000)
    expect(page.locator("form.oc-compose .oc-error")).to_have_text("")  # nothing to do
    stored = shop.messages(visitor.state()["visitor"])
    assert sorted(m["text"] for m in stored) == sorted(texts)
    assert visitor.bodies() == texts
