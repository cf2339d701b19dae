"""SMTP STARTTLS, the default smtp_security, against a real aiosmtpd on loopback.

Why server-side assertions: the client only believes it upgraded; the server records whether the
session was encrypted when MAIL FROM came, and refuses MAIL outright before STARTTLS, so a silent
fallback to clear text cannot pass as a success.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mailctx import make_settings
from mailservers import SmtpServer, self_signed, server_context
from test_email_smtp import outbound, received_reply

from omnitui.channels.base import PermanentError, TemporaryError
from omnitui.channels.email import EmailChannel


def starttls_server(cert: tuple[Path, Path]) -> SmtpServer:
    """Offers STARTTLS, requires it before MAIL, and offers AUTH only once encrypted; the
    login is the one make_settings gives the channel."""
    return SmtpServer(starttls=server_context(cert), login=("support", "pw"))


def starttls_channel(monkeypatch: pytest.MonkeyPatch, port: int, **kw: object) -> EmailChannel:
    """The real channel with smtp_security = "starttls" towards a loopback port."""
    settings = make_settings(None, "support", monkeypatch, smtp_port=port,
                             smtp_security="starttls", **kw)
    return EmailChannel("mail", settings)


async def test_reply_goes_out_after_starttls(cert: tuple[Path, Path], monkeypatch):
    with starttls_server(cert) as server:
        channel = starttls_channel(monkeypatch, server.port, tls_ca_file=str(cert[0]))
        result = await channel.send(outbound())
    assert server.handler.tls_at_mail == [True]
    msg = received_reply(server, result.wire_id)
    assert msg["To"] == "alice@customer.test"
    assert "Re: Where is my order?" in msg["Subject"]
    assert msg.get_content().replace("\r\n", "\n").strip() == "Your parcel left today.\nRegards"


async def test_the_starttls_server_refuses_a_plain_client(cert: tuple[Path, Path], monkeypatch):
    """The server of the test above really enforces STARTTLS: a client that skips it is refused
    at MAIL FROM, so the test above could not have passed over clear text."""
    with starttls_server(cert) as server:
        plain = make_settings(None, "support", monkeypatch, smtp_port=server.port,
                              smtp_security="none")
        with pytest.raises(PermanentError, match="530"):
            await EmailChannel("mail", plain).send(outbound())
    assert server.handler.tls_at_mail == [] and server.handler.received == []


async def test_no_starttls_offered_is_never_a_plain_send(monkeypatch):
    """The server cannot encrypt: the reply waits (temporary, like a refused login: the setup is
    wrong, not the message) and not even the envelope goes out in clear text."""
    with SmtpServer() as server, pytest.raises(TemporaryError) as caught:
        await starttls_channel(monkeypatch, server.port).send(outbound())
    text = str(caught.value)
    assert "STARTTLS" in text and "\n" not in text and "Traceback" not in text
    assert server.handler.tls_at_mail == [] and server.handler.received == []


async def test_starttls_with_an_untrusted_certificate(cert: tuple[Path, Path], monkeypatch):
    """Without tls_ca_file the self-signed certificate is refused, with a sentence that says so;
    the same server works once tls_ca_file names the test CA."""
    with starttls_server(cert) as server:
        with pytest.raises(TemporaryError) as caught:
            await starttls_channel(monkeypatch, server.port).send(outbound())
        text = str(caught.value)
        assert "certificate" in text.lower() and "\n" not in text
        assert server.handler.tls_at_mail == [] and server.handler.received == []

        trusted = starttls_channel(monkeypatch, server.port, tls_ca_file=str(cert[0]))
        assert (await trusted.send(outbound())).wire_id == "<r1.abc@shop.test>"
    assert server.handler.tls_at_mail == [True] and len(server.handler.received) == 1


async def test_tls_ca_file_is_trusted_besides_the_system_store(cert: tuple[Path, Path],
                                                               tmp_path: Path, monkeypatch):
    """tls_ca_file *also* trusts a CA (config.py): set for a self-hosted IMAP server, it must not
    break sending through a relay whose certificate the system trusts. SSL_CERT_FILE plays the
    system store here, so nothing leaves loopback."""
    unrelated_ca, _ = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert[0]))
    with starttls_server(cert) as server:
        channel = starttls_channel(monkeypatch, server.port, tls_ca_file=str(unrelated_ca))
        assert (await channel.send(outbound())).wire_id == "<r1.abc@shop.test>"
    assert server.handler.tls_at_mail == [True] and len(server.handler.received) == 1
