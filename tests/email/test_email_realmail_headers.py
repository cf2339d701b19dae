"""Headers as real mail writes them: senders that are no address, stray header lines, the
obsolete `Name  :` syntax, 8-bit and RFC 2231 file names, encoded words that break the rules."""

from __future__ import annotations

import pytest
from realmail import file_part, head, mail, multipart, text_part

from omnitui.channels.base import FLAG_QUARANTINED
from omnitui.channels.email.inbound import to_inbound
from omnitui.channels.email.mime import MailParseError, parse_mail


@pytest.mark.parametrize(
    ("sender", "name", "address"),
    [
        ("Big Bug bb@bug.com", "Big Bug", "bb@bug.com"),
        ("tim@team.example concierge@team.example", None, "tim@team.example"),
        ("=?UTF-8?B?bm90aWNlc0BiYW5rLmV4YW1wbGU=?=", None, "notices@bank.example"),
        ('"Doe, Jane" <Jane.Doe@Example.ORG>', "Doe, Jane", "jane.doe@example.org"),
        ("=?utf-8?q?Ren=C3=A9e?= <renee@customer.test>", "Renée", "renee@customer.test"),
        ("Jörg <jörg@bücher.example>", "Jörg", "jörg@bücher.example"),
    ],
)
def test_sender_is_a_valid_address_or_the_first_one_written(sender, name, address):
    parsed = parse_mail(mail(text_part("hi"), sender=sender))
    assert (parsed.from_name, parsed.from_addr) == (name, address)


@pytest.mark.parametrize("sender", ["Big Bug", "@team.example", "undisclosed-recipients:;",
                                    "<>", "bob@", "bob@@example.com"])
def test_sender_without_a_valid_address_is_quarantined_with_a_reason(sender):
    raw = mail(text_part("hi"), sender=sender)
    item = to_inbound(raw, "mail", "support@shop.test")
    assert item.flags == frozenset({FLAG_QUARANTINED})
    assert (item.error or "").startswith("The sender (From: ")
    assert (item.error or "").endswith(") is not a valid email address.")
    assert item.address == ""  # never a customer identity that strangers would share
    assert item.raw == raw
    with pytest.raises(MailParseError):
        parse_mail(raw)


def test_mail_without_any_sender_header_names_that_reason():
    item = to_inbound(b"Subject: hi\r\nMessage-ID: <x@y>\r\n\r\nbody\r\n", "mail", "s@shop.test")
    assert item.error and "has no sender" in item.error


def test_one_invalid_header_line_does_not_quarantine_a_readable_mail():
    raw = (
        b"Received: from relay.example by mx.shop.test; Mon, 23 Nov 2026 10:00:00 +0000\r\n"
        b"quite Delivered-To: support@shop.test\r\n"
        b"From: Ann <ann@customer.test>\r\nSubject: Order 12\r\nMessage-ID: <q@customer.test>\r\n"
        b"\r\nWhere is it?\r\n"
    )
    parsed = parse_mail(raw)
    assert (parsed.from_addr, parsed.subject, parsed.text) == (
        "ann@customer.test", "Order 12", "Where is it?")
    assert "InvalidHeaderLineDropped" in parsed.defects


def test_obsolete_white_space_before_the_colon():
    raw = (
        b"From  : Ann Doe <ann@customer.test>\r\nTo    : Shop\r\n  <support@shop.test>\r\n"
        b"Subject     : Saying hello\r\nMessage-ID  : <obs@customer.test>\r\n\r\nHello.\r\n"
    )
    parsed = parse_mail(raw)
    assert (parsed.from_name, parsed.from_addr) == ("Ann Doe", "ann@customer.test")
    assert parsed.subject == "Saying hello" and parsed.text == "Hello."
    assert parsed.message_id == "<obs@customer.test>"
    assert parsed.recipients == ("support@shop.test",)


def test_a_missing_blank_line_leaves_the_body_alone():
    raw = b"From: ann@customer.test\r\nSubject: no gap\r\nHello there,\r\nNote: keep me\r\n"
    parsed = parse_mail(raw)
    assert parsed.from_addr == "ann@customer.test" and "Hello there," in parsed.text


def _with_file(params: bytes) -> bytes:
    """A mail whose one attachment has these Content-Disposition parameters, byte for byte."""
    return (
        (head() + 'Content-Type: multipart/mixed; boundary="MIX"\r\n\r\n--MIX\r\n'
         + text_part("see file") + "--MIX\r\nContent-Type: application/octet-stream\r\n"
         "Content-Disposition: attachment; ").encode()
        + params + b"\r\n\r\ndata\r\n--MIX--\r\n"
    )


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ('filename="ФНС_РФ558.zip"'.encode(), "ФНС_РФ558.zip"),  # raw UTF-8
        (b'filename="HasenundFr\xf6sche.txt"', "HasenundFrösche.txt"),  # raw Latin-1
        (b"filename*=utf-8''%D0%A1%D1%87%D1%91%D1%82.pdf", "Счёт.pdf"),
        (b"filename*0*=iso-8859-1''Hasen; filename*1*=undFr%F6sche.txt", "HasenundFrösche.txt"),
        (b"filename*=gb2312''%E9F%BB%F9.txt", "镕基.txt"),  # GBK beyond GB2312
        (b'filename="=?utf-8?B?0KHRh9GR0YIucGRm?="', "Счёт.pdf"),
        (b'filename="long\r\n name.txt"', "long name.txt"),  # folded inside the quotes
    ],
)
def test_file_names_in_every_encoding_survive(params: bytes, name: str):
    [att] = parse_mail(_with_file(params)).attachments
    assert att.filename == name


def test_raw_8bit_inside_an_encoded_word_and_a_character_split_across_words():
    raw = (head(subject="=?iso-8859-1?Q?Die_Hasen_und_die_Fr").encode()
           .replace(b"Fr\r\n", b"Fr\xf6sche?=\r\n") + text_part("x").encode())
    assert parse_mail(raw).subject == "Die Hasen und die Frösche"
    split = "=?utf-8?B?0KE=?= =?utf-8?B?0YfRkdGC?="  # "Сч" and "ёт" in two words
    assert parse_mail(mail(text_part("x"), subject=split)).subject == "Счёт"
    halves = "=?utf-8?Q?Gr=C3?= =?utf-8?Q?=BC=C3=9Fe?="  # the bytes of ü split between words
    assert parse_mail(mail(text_part("x"), subject=halves)).subject == "Grüße"


def test_inline_image_without_a_file_name_still_counts():
    raw = mail(multipart("related", "REL", text_part("<p>pic</p>", "html"),
                         file_part("", disposition="inline").replace('; name=""', "")
                         .replace('; filename=""', "")))
    [att] = parse_mail(raw).attachments
    assert att.filename == "attachment-1" and att.content_type == "image/png"
