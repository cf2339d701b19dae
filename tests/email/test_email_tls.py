"""TLS on the wire (the default for IMAP): a self-signed CA trusted through tls_ca_file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import require_dovecot
from mailcorpus import simple
from mailctx import RecordingContext, make_settings
from mailservers import Dovecot, SmtpServer, self_signed, server_context
from test_email_smtp import outbound

from omnitui.channels.base import TemporaryError
from omnitui.channels.email import EmailChannel


@pytest.fixture(scope="module")
def tls_dovecot(cert: tuple[Path, Path]) -> Iterator[Dovecot]:
    require_dovecot()
    server = Dovecot(tls=cert)
    server.start()
    yield server
    server.close()


async def test_imap_over_tls(tls_dovecot: Dovecot, cert, tmp_path, monkeypatch):
    tls_dovecot.append("user1", [simple(subject="over tls")])
    settings = make_settings(tls_dovecot, "user1", monkeypatch, imap_port=tls_dovecot.tls_port,
                             imap_security="tls", tls_ca_file=str(cert[0]))
    ctx = RecordingContext(tmp_path)
    assert await EmailChannel("mail", settings).sync(ctx) == 1
    assert next(iter(ctx.messages.values())).subject == "over tls"


async def test_imap_starttls(tls_dovecot: Dovecot, cert, tmp_path, monkeypatch):
    tls_dovecot.append("user2", [simple(subject="after starttls")])
    settings = make_settings(tls_dovecot, "user2", monkeypatch, imap_security="starttls",
                             tls_ca_file=str(cert[0]))
    ctx = RecordingContext(tmp_path)
    assert await EmailChannel("mail", settings).sync(ctx) == 1
    untrusted = make_settings(tls_dovecot, "user2", monkeypatch, imap_security="starttls")
    from omnitui.channels.email.imap import ImapLost

    with pytest.raises(ImapLost):
        await EmailChannel("mail", untrusted).sync(RecordingContext(tmp_path / "x"))


async def test_imap_tls_rejects_an_untrusted_certificate(tls_dovecot: Dovecot, tmp_path,
                                                         monkeypatch):
    from omnitui.channels.email.imap import ImapLost

    settings = make_settings(tls_dovecot, "user1", monkeypatch, imap_port=tls_dovecot.tls_port,
                             imap_security="tls")
    with pytest.raises(ImapLost, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
        await EmailChannel("mail", settings).sync(RecordingContext(tmp_path))


async def test_smtp_over_implicit_tls(cert, monkeypatch):
    with SmtpServer(ssl_context=server_context(cert)) as server:
        good = make_settings(None, "s", monkeypatch, smtp_port=server.port, smtp_security="tls",
                             tls_ca_file=str(cert[0]))
        result = await EmailChannel("mail", good).send(outbound())
        assert result.wire_id == "<r1.abc@shop.test>" and len(server.handler.received) == 1
        untrusted = make_settings(None, "s", monkeypatch, smtp_port=server.port,
                                  smtp_security="tls")
        with pytest.raises(TemporaryError):
            await EmailChannel("mail", untrusted).send(outbound())


async def test_imap_tls_ca_file_is_trusted_besides_the_system_store(
        tls_dovecot: Dovecot, cert, tmp_path, monkeypatch):
    """As for SMTP: a tls_ca_file for some other server must not make a server the system
    trusts untrusted. SSL_CERT_FILE plays the system store, so nothing leaves loopback."""
    tls_dovecot.append("user3", [simple(subject="system ca")])
    unrelated_ca, _ = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert[0]))
    settings = make_settings(tls_dovecot, "user3", monkeypatch, imap_port=tls_dovecot.tls_port,
                             imap_security="tls", tls_ca_file=str(unrelated_ca))
    assert await EmailChannel("mail", settings).sync(RecordingContext(tmp_path)) == 1
