"""An agent's files by email through the real hub and SMTP server: byte for byte under their
names, and refused before anything is stored when over the channel's `attachment_max`."""

from __future__ import annotations

import asyncio
import email
import email.policy

import pytest
from mailcorpus import simple
from mailservers import SmtpServer
from test_email_hub import hub, mail_settings

from omnitui.agent_files import file_limits
from omnitui.core.agents import add_agent
from omnitui.core.errors import ActionError
from omnitui.core.reply import reply
from omnitui.store.db import Store
from tests.hub_waits import rows, until

ALL_BYTES = bytes(range(256)) * 100


async def test_files_arrive_byte_identical_by_email(dovecot, user, tmp_path, monkeypatch):
    first = tmp_path / "Faktura №7 (kopia).pdf"
    first.write_bytes(ALL_BYTES)
    second = tmp_path / "notes.txt"
    second.write_bytes("zażółć gęślą jaźń\n".encode())
    big = tmp_path / "scan.tiff"
    big.write_bytes(b"x" * 30_001)
    with SmtpServer() as smtp:
        settings = mail_settings(tmp_path / "data", dovecot, user, smtp.port, monkeypatch,
                                 csat=False, attachment_max="30KB")
        async with hub(settings):
            await asyncio.to_thread(dovecot.append, user, [simple(msgid="<f1@customer.test>")])
            await until(lambda: rows(settings, "SELECT id FROM message WHERE kind='inbound'"),
                        what="the customer's mail")
            [(conv,)] = rows(settings, "SELECT id FROM conversation")
            store = Store.open(settings.database, migrate=False)
            ann = add_agent(store, "ann", "Ann")
            before = rows(settings, "SELECT count(*) FROM message"), \
                rows(settings, "SELECT count(*) FROM attachment")
            with pytest.raises(ActionError, match=r"scan\.tiff is 30,001 bytes; a file sent by "
                                                  r"email on mail can be at most 30,000 bytes"):
                reply(store, conv, "Too big", ann, attachments=[second, big],
                      attachments_dir=settings.attachments_dir,
                      file_limits=file_limits(settings))
            assert (rows(settings, "SELECT count(*) FROM message"),
                    rows(settings, "SELECT count(*) FROM attachment")) == before
            reply(store, conv, "Your invoice and notes.", ann, attachments=[first, second],
                  attachments_dir=settings.attachments_dir, file_limits=file_limits(settings))
            store.close()
            await until(lambda: smtp.handler.received, what="the reply at the SMTP server")
    assert len(smtp.handler.received) == 1
    sent = email.message_from_bytes(smtp.handler.received[0][2], policy=email.policy.default)
    assert sent.get_body(("plain",)).get_content().startswith("Your invoice and notes.")
    files = [(part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
             for part in sent.iter_attachments()]
    assert files == [("Faktura №7 (kopia).pdf", "application/pdf", ALL_BYTES),
                     ("notes.txt", "text/plain", "zażółć gęślą jaźń\n".encode())]
