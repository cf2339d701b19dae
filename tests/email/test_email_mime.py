"""MIME → text, charsets, attachments and the malformed corpus, table-driven and server-free."""

from __future__ import annotations

import os

import pytest
from mailcorpus import (
    CORPUS,
    alternative,
    charset_mail,
    html_only,
    nested_rfc822,
    simple,
    with_attachment,
)

from omnitui.channels.base import FLAG_QUARANTINED
from omnitui.channels.email.inbound import external_id, to_inbound
from omnitui.channels.email.mime import decode_bytes, parse_mail

RUSSIAN = "Здравствуйте, где мой заказ?"


@pytest.mark.parametrize(
    ("text", "charset", "declared"),
    [
        ("Grüße aus München — 20 €", "utf-8", None),
        (RUSSIAN, "koi8-r", None),
        (RUSSIAN, "windows-1251", None),
        ("Zażółć gęślą jaźń", "iso-8859-2", None),
        ("مرحبا، أين طلبي؟", "windows-1256", None),
        ("Grüße, naïve café", "utf-8", "iso-8859-1"),  # wrong declaration: really UTF-8
        ("Grüße", "utf-8", "us-ascii"),  # wrong declaration: 8-bit in "ASCII"
    ],
)
def test_charsets_decode_as_declared_or_detected(text: str, charset: str, declared: str | None):
    mail = parse_mail(charset_mail(text, charset, declared))
    assert mail.text.strip() == text


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        (RUSSIAN.encode("windows-1251"), "utf-8"),  # claims UTF-8, is cp1251
        (b"caf\xe9", "x-unknown"),
        (b"\xff\xfe\x00", "koi8-r"),
    ],
)
def test_wrong_or_unknown_charset_never_raises(data: bytes, declared: str):
    text = decode_bytes(data, declared)
    assert isinstance(text, str) and text
    text.encode("utf-8")  # no surrogates survive


@pytest.mark.parametrize(
    ("raw", "expected", "from_html"),
    [
        (alternative("plain wins", "<p>html loses</p>"), "plain wins", False),
        (alternative(None, "<p>only <b>html</b></p>"), "only html", True),
        (html_only('<p>See <a href="https://shop.test/o/5">your order</a></p>'),
         "https://shop.test/o/5", True),
        (html_only('<img src="http://tracker.test/p.gif" alt="logo"><p>Hi</p>'), "Hi", True),
    ],
)
def test_body_prefers_plain_and_converts_html(raw: bytes, expected: str, from_html: bool):
    mail = parse_mail(raw)
    assert expected in mail.text
    assert mail.from_html is from_html
    assert "<p>" not in mail.text


def test_html_links_are_listed_not_fetched():
    mail = parse_mail(html_only('<a href="https://a.test/x">one</a> <a href="https://b.test/y">two</a>'))
    assert "[1]: https://a.test/x" in mail.text
    assert "[2]: https://b.test/y" in mail.text
    assert "tracker" not in parse_mail(html_only('<img src="http://tracker.test/p.gif">')).text


def test_headers_ids_and_thread_refs():
    raw = simple(
        extra="In-Reply-To: <b@shop.test>\r\nReferences: <a@shop.test> <b@shop.test>\r\n",
        sender='"Alice C." <Alice@Customer.TEST>',
    )
    mail = parse_mail(raw)
    assert mail.from_addr == "alice@customer.test"
    assert mail.from_name == "Alice C."
    assert mail.message_id == "<m1@customer.test>"
    assert mail.thread_refs == ("<b@shop.test>", "<a@shop.test>")
    assert mail.sent_at is not None and mail.sent_at.utcoffset() is not None


def test_attachment_kept_with_name_type_size():
    data = os.urandom(3000)
    mail = parse_mail(with_attachment(data))
    assert mail.text.strip() == "See attached."
    [att] = mail.attachments
    assert (att.filename, att.content_type, att.size, att.data) == (
        "invoice.pdf", "application/pdf", 3000, data)


def test_twenty_megabyte_attachment():
    data = os.urandom(20 * 1024 * 1024)
    inbound = to_inbound(with_attachment(data, "big.bin", "application/octet-stream"), "m", "s@x")
    assert FLAG_QUARANTINED not in inbound.flags
    [att] = inbound.attachments
    assert att.size == len(data) and att.data == data


def test_nested_message_is_attachment_and_text():
    mail = parse_mail(nested_rfc822())
    assert "Forwarding this." in mail.text
    assert "Inner body text" in mail.text
    assert "Subject: Original question" in mail.text
    [att] = mail.attachments
    assert att.content_type == "message/rfc822"
    assert b"<inner@x.test>" in (att.data or b"")


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus_is_ingested_or_quarantined(name: str):
    raw = CORPUS[name]
    inbound = to_inbound(raw, "mail", "support@shop.test", uid=7)
    assert inbound.external_id == external_id(raw)
    assert inbound.raw == raw
    if FLAG_QUARANTINED in inbound.flags:
        assert inbound.error
    else:
        assert inbound.error is None
        assert "@" in inbound.address
    for value in (inbound.text, inbound.subject or "", inbound.display_name or "",
                  inbound.address, *(a.filename for a in inbound.attachments)):
        value.encode("utf-8")  # storable: no lone surrogates


@pytest.mark.parametrize(
    ("name", "quarantined"),
    [
        ("zero_byte_message", True),
        ("garbage", True),
        ("no_from", True),
        ("zero_byte_body", False),
        ("missing_message_id", False),
        ("broken_boundary", False),
        ("many_recipients", False),
        ("control_chars", False),
        ("eight_bit_headers", False),
    ],
)
def test_corpus_outcomes(name: str, quarantined: bool):
    inbound = to_inbound(CORPUS[name], "mail", "support@shop.test")
    assert (FLAG_QUARANTINED in inbound.flags) is quarantined


def test_untrusted_text_passes_through_unsanitised():
    """Sanitising is the core's job at ingest; the channel must not hide what arrived."""
    inbound = to_inbound(CORPUS["control_chars"], "mail", "support@shop.test")
    assert "\x1b" in (inbound.display_name or "") + (inbound.subject or "")
    assert "\u202e" in (inbound.subject or "")


def test_eight_bit_headers_read_as_utf8():
    inbound = to_inbound(CORPUS["eight_bit_headers"], "mail", "support@shop.test")
    assert inbound.subject == "Заказ №5 не пришёл"
    assert inbound.display_name == "Иван Петров"
    latin = to_inbound(CORPUS["latin1_8bit_header"], "mail", "support@shop.test")
    assert latin.subject == "Grüße"


def test_broken_boundary_keeps_text():
    inbound = to_inbound(CORPUS["broken_boundary"], "mail", "support@shop.test")
    assert "wrong boundary" in inbound.text


def test_missing_message_id_has_no_wire_id_but_stable_external_id():
    raw = CORPUS["missing_message_id"]
    assert to_inbound(raw, "m", "s@x").wire_id is None
    assert to_inbound(raw, "m", "s@x").external_id == to_inbound(raw, "m", "s@x").external_id


@pytest.mark.parametrize(
    ("to", "subject", "token"),
    [
        ("support+Tok3nABC@shop.test", "Re: hi", "Tok3nABC"),
        ("support@shop.test", "Re: hi [ref:tok123456]", "tok123456"),
        ("other+tok123456@shop.test", "Re: hi", None),
        ("support+short@shop.test", "Re: hi", None),
    ],
)
def test_reply_token_from_plus_address_or_subject(to: str, subject: str, token: str | None):
    inbound = to_inbound(simple(to=to, subject=subject), "m", "support@shop.test")
    assert inbound.reply_token == token
