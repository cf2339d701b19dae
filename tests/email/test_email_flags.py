"""Auto-reply, bounce and bulk detection, table-driven over hand-written headers."""

from __future__ import annotations

import pytest
from mailcorpus import simple

from omnitui.channels.base import FLAG_AUTO_REPLY, FLAG_BOUNCE, FLAG_BULK
from omnitui.channels.email.inbound import to_inbound


def flags_of(raw: bytes) -> frozenset[str]:
    return to_inbound(raw, "mail", "support@shop.test").flags


@pytest.mark.parametrize(
    ("extra", "sender", "subject", "expected"),
    [
        ("", "alice@customer.test", "Hello", set()),
        ("Auto-Submitted: no\r\n", "alice@customer.test", "Hello", set()),
        ("Auto-Submitted: auto-replied\r\n", "alice@customer.test", "Hello", {FLAG_AUTO_REPLY}),
        ("Auto-Submitted: auto-generated\r\n", "alice@customer.test", "Hi", {FLAG_AUTO_REPLY}),
        ("X-Autoreply: yes\r\n", "alice@customer.test", "Hello", {FLAG_AUTO_REPLY}),
        ("", "alice@customer.test", "Automatic reply: Hello", {FLAG_AUTO_REPLY}),
        ("", "alice@customer.test", "Out of Office: back Monday", {FLAG_AUTO_REPLY}),
        ("Precedence: bulk\r\n", "news@shop.test", "Deals", {FLAG_BULK}),
        ("Precedence: list\r\n", "list@lists.test", "Digest", {FLAG_BULK}),
        ("Precedence: junk\r\n", "x@spam.test", "Win", {FLAG_BULK}),
        ("List-Id: <announce.lists.test>\r\n", "list@lists.test", "News", {FLAG_BULK}),
        ("", "noreply@service.test", "Your receipt", {FLAG_BULK}),
        ("", "no-reply@service.test", "Your receipt", {FLAG_BULK}),
        ("", "do-not-reply@service.test", "Your receipt", {FLAG_BULK}),
        ("", "MAILER-DAEMON@mx.test", "Undelivered Mail", {FLAG_BOUNCE}),
        ("", "postmaster@mx.test", "Delivery failure", {FLAG_BOUNCE}),
        ("X-Failed-Recipients: gone@customer.test\r\n", "mx@mx.test", "Failure", {FLAG_BOUNCE}),
    ],
)
def test_flags(extra: str, sender: str, subject: str, expected: set[str]):
    assert flags_of(simple(extra=extra, sender=sender, subject=subject)) == expected


def dsn(original_msgid: str, headers_only: bool = False) -> bytes:
    original = (
        f"From: support@shop.test\r\nTo: gone@customer.test\r\nSubject: Re: order\r\n"
        f"Message-ID: {original_msgid}\r\n"
    )
    kind = "text/rfc822-headers" if headers_only else "message/rfc822"
    body = original if headers_only else original + "\r\nThe reply text\r\n"
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.shop.test>\r\n"
        "To: support@shop.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn1@mx.shop.test>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\r\n\r\n'
        "--R\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you...\r\n"
        "--R\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.shop.test\r\n\r\n"
        "Final-Recipient: rfc822; gone@customer.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <gone@customer.test>: Recipient address\r\n"
        "    rejected: User unknown\r\n\r\n"
        f"--R\r\nContent-Type: {kind}\r\n\r\n{body}\r\n--R--\r\n"
    ).encode()


@pytest.mark.parametrize("headers_only", [False, True])
def test_bounce_names_the_message_it_answers(headers_only: bool):
    inbound = to_inbound(dsn("<r1.abc@shop.test>", headers_only), "mail", "support@shop.test")
    assert FLAG_BOUNCE in inbound.flags
    assert inbound.meta["bounce_of"] == "<r1.abc@shop.test>"
    assert inbound.meta["bounce_recipient"] == "gone@customer.test"
    assert inbound.meta["bounce_status"] == "5.1.1"
    assert "User unknown" in inbound.meta["bounce_reason"]


def test_non_standard_bounce_quotes_headers_in_body():
    raw = simple(
        sender="MAILER-DAEMON@old.mx.test",
        subject="failure notice",
        body="Sorry.\n\n--- Below this line is a copy of the message.\n\n"
        "Message-ID: <r9@shop.test>\nSubject: Re: order\n",
    )
    inbound = to_inbound(raw, "mail", "support@shop.test")
    assert inbound.meta["bounce_of"] == "<r9@shop.test>"
