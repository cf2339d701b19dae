"""Outside business hours the widget shows the shop's offline notice and an offline form; the
message goes into the inbox and the visitor's email is linked, so the answer can go by email."""

from __future__ import annotations

from playwright.sync_api import expect

from omnitui.config import ChatSettings
from tests.web.conftest import CONSENT, Shop, Visitor

SHOP = {"closed_now": True}


def test_offline_form_outside_hours(shop: Shop, visitor: Visitor) -> None:
    page = visitor.page
    page.goto(shop.page.url())
    visitor.open_chat()
    form = page.locator("form.oc-offline")
    expect(form).to_be_visible()
    expect(page.locator("form.oc-prechat")).to_be_hidden()
    expect(form.get_by_role("heading")).to_have_text("We are away right now")
    expect(form.locator(".oc-form-note")).to_have_text(ChatSettings(kind="chat").offline_text)
    expect(form.get_by_label("Your name")).to_be_focused()

    form.get_by_label("Your name").fill("Olga Petrova")
    form.get_by_label("Your message").fill("Do you have the red boots in size 39?")
    form.get_by_label(CONSENT).check()
    form.get_by_role("button", name="Send").click()
    expect(form.get_by_role("alert")).to_have_text(
        "Please give your email address so that we can answer you.")
    expect(form.get_by_label("Your email")).to_be_focused()
    assert "omnitui-chat" not in visitor.storage() or not visitor.state().get("started")

    form.get_by_label("Your email").fill("olga@example.org")
    form.get_by_role("button", name="Send").click()
    notice = page.locator(".oc-notice")
    expect(notice).to_have_text("Thank you. We received your message and will answer by email.")
    visitor.wait_sent(1)
    visitor_id = visitor.state()["visitor"]
    stored = shop.wait_inbound(visitor_id, 1)
    assert [m["text"] for m in stored] == ["Do you have the red boots in size 39?"]
    emails = shop.query(
        "SELECT e.address FROM identity c JOIN identity e ON e.customer_id = c.customer_id "
        "WHERE c.address = ? AND e.kind = 'email'", visitor_id)
    assert [e[0] for e in emails] == ["olga@example.org"]

    page.reload()
    expect(page.locator(".oc-msg .oc-body")).to_have_text("Do you have the red boots in size 39?")
    expect(notice).to_have_text("Thank you. We received your message and will answer by email.")
    expect(form).to_be_hidden()
    assert len(shop.messages(visitor_id)) == 1
