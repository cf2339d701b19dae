"""Recognition on the wire: mail through a real Dovecot and the real hub joins the customer an
agent gave the address to, and mail from a new address with her name and order number is
suggested as her (with `[recognition] phone_region` read from the config)."""

from __future__ import annotations

import asyncio

from mailcorpus import simple
from mailservers import Dovecot, SmtpServer
from test_email_hub import hub, mail_settings

from omnitui.channels.base import Inbound
from omnitui.config import parse_settings
from omnitui.core.added_identities import add_identity
from omnitui.core.agents import add_agent
from omnitui.core.ingest import ingest
from omnitui.core.suggestions import open_suggestions, suggestion_label
from omnitui.store.db import Store
from tests.hub_waits import rows, until


async def test_mail_joins_an_added_address_and_a_new_address_is_suggested(
        dovecot: Dovecot, user: str, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with SmtpServer() as smtp:
        base = mail_settings(tmp_path / "data", dovecot, user, smtp.port, monkeypatch)
        settings = parse_settings({**base.raw, "recognition": {"phone_region": "PL"}}, None)
        (tmp_path / "data").mkdir()
        store = Store.open(settings.database)
        ann = add_agent(store, "ann", "Ann")
        first = ingest(store, Inbound(channel="bot", kind="telegram", external_id="1",
                                      address="5512", text="Hi, my order 4412 has not arrived",
                                      display_name="Анна Ковальская"))
        add_identity(store, first.customer_id, "email", "anna.k@customer.test", ann)
        add_identity(store, first.customer_id, "phone", "600 123 456", ann,
                     phone_region=settings.recognition.phone_region)
        store.close()
        async with hub(settings):
            await asyncio.to_thread(dovecot.append, user, [
                simple(sender="Anna K <anna.k@customer.test>", body="Here is the receipt.",
                       msgid="<r1@customer.test>"),
                simple(sender="Anna Kowalska <kowalska.a@elsewhere.test>", msgid="<r2@e.test>",
                       body="About order 4412 again. Tel. 600-123-456", subject="Order 4412"),
            ])
            await until(lambda: len(rows(settings, "SELECT id FROM message WHERE kind = "
                                         "'inbound' AND channel = 'mail'")) == 2,
                        what="both mails stored")
    [(joined,)] = rows(settings, "SELECT customer_id FROM message WHERE wire_id = "
                                 "'<r1@customer.test>'")
    assert joined == first.customer_id
    store = Store.open(settings.database, migrate=False)
    try:
        [s] = open_suggestions(store)
        assert s.candidate_id == first.customer_id
        assert suggestion_label(s) == (
            "probably Анна Ковальская: same name, same phone, order 4412")
    finally:
        store.close()
