"""The widget in a real browser against a real hub: the pre-chat form, a reply from the CLI,
history after a reload, typing both ways, the rating request, keyboard and screen-reader use,
languages and the small-screen layout."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Browser, expect

from omnitui.core.actions import resolve, set_presence
from omnitui.core.agents import get_agent
from omnitui.store.db import Store
from tests.web.conftest import AGENT, AGENT_NAME, Shop, Visitor

SHOP = {"web_strings": {"intro": "Ask Ann anything about your order."}}  # web_language "en"


def test_prechat_reply_and_reload_under_strict_csp(shop: Shop, visitor: Visitor) -> None:
    page = visitor.page
    page.goto(shop.page.url())
    expect(page.locator(".oc-launcher")).to_be_visible()
    visitor.start_chat()
    visitor.write("Where is my order 4412?")
    visitor.wait_sent(1)
    visitor_id = visitor.state()["visitor"]
    stored = shop.wait_inbound(visitor_id, 1)
    assert [m["text"] for m in stored] == ["Where is my order 4412?"]
    conv = stored[0]["conversation_id"]
    names = shop.query("SELECT display_name FROM identity WHERE address = ?", visitor_id)
    assert [n[0] for n in names] == ["Olga Petrova"]

    shop.cli("reply", str(conv), "It left the warehouse today.")
    reply = page.locator(".oc-from-agent").filter(has_text="It left the warehouse today.")
    expect(reply.locator(".oc-who")).to_have_text(AGENT_NAME)
    expect(page.locator(".oc-from-customer .oc-state")).to_have_text("Sent")

    page.reload()
    expect(page.locator(".oc-panel")).to_be_visible()  # it was open: it stays open
    expect(page.locator(".oc-msg")).to_have_count(2)
    assert visitor.bodies() == ["Where is my order 4412?", "It left the warehouse today."]
    expect(page.locator(".oc-from-agent .oc-who")).to_have_text(AGENT_NAME)
    # The browser answered the reply with `delivered`: so it is in the store.
    assert [m["delivery_state"] for m in shop.messages(visitor_id, "outbound")] == ["delivered"]

    assert visitor.csp_violations() == [] and visitor.errors == []
    # The styles arrived under the policy (a file by URL, into the widget's shadow root).
    launcher = page.locator(".oc-launcher")
    assert launcher.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(37, 87, 214)"
    assert launcher.evaluate("e => getComputedStyle(e).borderRadius") == "999px"
    assert list(visitor.storage()) == ["omnitui-chat"]
    assert page.evaluate("document.cookie") == ""
    hosts = {re.match(r"\w+://[^/]+", url).group(0) for url in visitor.requests}
    assert hosts <= {shop.page.origin, shop.gateway}
    assert len(shop.messages(visitor_id)) == 1  # the reload sent nothing again


def test_typing_both_ways_and_rating_after_resolve(shop: Shop, visitor: Visitor) -> None:
    page = visitor.page
    page.goto(shop.page.url())
    visitor.start_chat(name="Marek", email="")
    visitor.write("Hello?")
    visitor.wait_sent(1)
    conv = shop.wait_inbound(visitor.state()["visitor"], 1)[0]["conversation_id"]

    page.locator(".oc-text").press_sequentially("Do you ship to", delay=20)
    page.wait_for_function("() => true")
    assert any(f.get("type") == "typing" for f in visitor.sent_frames)

    store = Store.open(shop.database)  # as an agent's console writes its typing marks
    try:
        agent = get_agent(store, AGENT)
        set_presence(store, agent, conv, typing=True)
        expect(page.locator(".oc-typing")).to_have_text("Support is typing…")
        set_presence(store, agent, conv, typing=False)
        expect(page.locator(".oc-typing")).to_have_text("")

        shop.cli("reply", str(conv), "Yes, we do.")
        expect(page.locator(".oc-from-agent .oc-body")).to_have_text("Yes, we do.")
        resolve(store, conv, agent)
    finally:
        store.close()
    rate = page.get_by_role("group", name="How did we do?")
    expect(rate).to_be_visible(timeout=10_000)
    rate.get_by_role("button", name="4 of 5").click()
    expect(page.locator(".oc-rate-ask")).to_have_text("Thank you for your rating.")
    assert shop.query("SELECT rating FROM conversation WHERE id = ?", conv)[0][0] == 4


def test_keyboard_and_screen_reader(shop: Shop, visitor: Visitor) -> None:
    page = visitor.page
    page.goto(shop.page.url())
    launcher = page.get_by_role("button", name="Chat with us")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.focus()
    page.keyboard.press("Enter")
    expect(launcher).to_have_attribute("aria-expanded", "true")
    dialog = page.get_by_role("dialog", name="Chat with us")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".oc-prechat .oc-form-note")).to_have_text(
        "Ask Ann anything about your order.")  # the shop's web_strings
    expect(page.locator("form.oc-prechat").get_by_label("Your name")).to_be_focused()
    page.keyboard.type("Amina")
    page.keyboard.press("Tab")
    expect(page.locator("form.oc-prechat").get_by_label("Your email")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("form.oc-prechat").get_by_label(re.compile("I agree"))).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Start chat")).to_be_focused()
    page.keyboard.press("Enter")  # without consent: refused in words, focus on the box
    expect(page.get_by_role("alert").first).to_have_text("Please tick the box to continue.")
    expect(page.locator("form.oc-prechat").get_by_label(re.compile("I agree"))).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    message = page.get_by_role("textbox", name="Your message")
    expect(message).to_be_focused()
    log = page.get_by_role("log", name="Conversation")
    expect(log).to_have_attribute("aria-live", "polite")
    page.keyboard.type("line one")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("line two")
    page.keyboard.press("Enter")
    expect(log.locator(".oc-body")).to_have_text("line one\nline two")
    expect(page.get_by_role("button", name="Attach a file")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(launcher).to_be_focused()


def test_languages_rtl_and_small_screen(shop: Shop, visitor: Visitor,
                                        browser: Browser) -> None:
    page = visitor.page
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto(shop.page.url(lang="ar"))
    launcher = page.get_by_role("button", name="تحدث معنا")
    expect(launcher).to_be_visible()
    assert page.locator(".oc").get_attribute("dir") == "rtl"
    corner = launcher.bounding_box()  # bottom right, as data-position's default says
    assert corner is not None and 375 - 12 - 1 <= corner["x"] + corner["width"] <= 375 - 12 + 1
    launcher.click()
    panel = page.locator(".oc-panel")
    box = panel.bounding_box()
    assert box is not None and box["width"] == 375 and box["height"] == 700
    page.locator("form.oc-prechat").get_by_label("اسمك").fill("أمينة")
    page.locator("form.oc-prechat").get_by_label(re.compile("I agree")).check()
    page.get_by_role("button", name="ابدأ المحادثة").click()
    visitor.write("طلبي لم يصل بعد")
    body = page.locator(".oc-body")
    expect(body).to_have_text("طلبي لم يصل بعد")
    assert body.get_attribute("dir") == "auto"
    assert body.evaluate("e => e.matches(':dir(rtl)')")
    expect(page.locator(".oc-state")).to_have_text("أُرسلت")

    polish = browser.new_context(locale="pl-PL")  # navigator.language picks the strings
    try:
        pl = polish.new_page()
        pl.goto(shop.page.url())
        expect(pl.get_by_role("button", name="Napisz do nas")).to_be_visible()
        assert pl.locator(".oc").get_attribute("dir") == "ltr"
        # The shop wrote its web_strings for English visitors: Polish ones get Polish.
        expect(pl.locator(".oc-prechat .oc-form-note")).to_have_text(
            "Zapytaj o cokolwiek. Zwykle odpowiadamy w kilka minut.")
        pl.goto(shop.page.url(lang="ru", position="left", **{"text-title": "Магазин"}))
        corner = pl.locator(".oc-launcher").bounding_box()
        assert corner is not None and corner["x"] == 20
        pl.get_by_role("button", name="Напишите нам").click()
        expect(pl.locator(".oc-title")).to_have_text("Магазин")
    finally:
        polish.close()


def test_a_hello_the_hub_refuses_returns_to_the_form(shop: Shop, browser: Browser) -> None:
    """A visitor who began before the shop asked for consent: the hub refuses their hello, and
    the widget asks for the consent instead of hanging."""
    context = browser.new_context(locale="en-US")
    root = f"{shop.gateway}/chat/"
    earlier = {"root": root, "started": True, "open": True, "name": "Olga", "pending": []}
    stored = json.dumps(json.dumps(earlier))
    context.add_init_script(f"localStorage.setItem('omnitui-chat', {stored})")
    try:
        page = context.new_page()
        page.goto(shop.page.url())
        form = page.locator("form.oc-prechat")
        expect(form.get_by_role("alert")).to_have_text(
            "Please tick the consent box before you write.")
        form.get_by_label(re.compile("I agree")).check()
        form.get_by_role("button", name="Start chat").click()
        page.locator(".oc-text").fill("now with consent")
        page.locator(".oc-text").press("Enter")
        expect(page.locator(".oc-state")).to_have_text("Sent")
    finally:
        context.close()
