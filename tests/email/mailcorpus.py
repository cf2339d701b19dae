"""Hand-written mail, good and malformed, as raw bytes: the corpus the parser must survive."""

from __future__ import annotations

import base64


def simple(
    subject: str = "Hello",
    body: str = "Where is my order?",
    sender: str = "Alice Customer <alice@customer.test>",
    msgid: str | None = "<m1@customer.test>",
    extra: str = "",
    to: str = "support@shop.test",
) -> bytes:
    head = f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
    head += "Date: Mon, 23 Nov 2026 10:00:00 +0100\r\n"
    if msgid:
        head += f"Message-ID: {msgid}\r\n"
    head += extra
    head += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
    head += "Content-Transfer-Encoding: 8bit\r\n\r\n"
    return head.encode() + body.encode() + b"\r\n"


def charset_mail(text: str, charset: str, declared: str | None = None) -> bytes:
    body = base64.b64encode(text.encode(charset)).decode()
    return (
        "From: bob@customer.test\r\nTo: support@shop.test\r\nSubject: charset\r\n"
        f"Message-ID: <cs-{charset}@customer.test>\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset={declared or charset}\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n{body}\r\n"
    ).encode()


def alternative(plain: str | None, html: str | None) -> bytes:
    parts = []
    if plain is not None:
        parts.append(f"Content-Type: text/plain; charset=utf-8\r\n\r\n{plain}\r\n")
    if html is not None:
        parts.append(f"Content-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n")
    body = "".join(f"--BOUND\r\n{p}" for p in parts) + "--BOUND--\r\n"
    return (
        "From: carol@customer.test\r\nTo: support@shop.test\r\nSubject: alt\r\n"
        "Message-ID: <alt@customer.test>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/alternative; boundary="BOUND"\r\n\r\n' + body
    ).encode()


def html_only(html: str) -> bytes:
    return (
        "From: dan@customer.test\r\nTo: support@shop.test\r\nSubject: html\r\n"
        "Message-ID: <html@customer.test>\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
    ).encode()


def with_attachment(data: bytes, filename: str = "invoice.pdf", ctype: str = "application/pdf",
                    text: str = "See attached.") -> bytes:
    b64 = base64.encodebytes(data).decode().replace("\n", "\r\n")
    return (
        "From: erin@customer.test\r\nTo: support@shop.test\r\nSubject: attachment\r\n"
        "Message-ID: <att@customer.test>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="MIX"\r\n\r\n'
        f"--MIX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
        f'--MIX\r\nContent-Type: {ctype}; name="{filename}"\r\n'
        f'Content-Disposition: attachment; filename="{filename}"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--MIX--\r\n"
    ).encode()


def nested_rfc822() -> bytes:
    inner = simple(subject="Original question", body="Inner body text", msgid="<inner@x.test>",
                   sender="orig@customer.test")
    return (
        b"From: fwd@customer.test\r\nTo: support@shop.test\r\nSubject: Fwd: Original question\r\n"
        b"Message-ID: <outer@customer.test>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="OUT"\r\n\r\n'
        b"--OUT\r\nContent-Type: text/plain\r\n\r\nForwarding this.\r\n"
        b"--OUT\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--OUT--\r\n"
    )


def broken_boundary() -> bytes:
    return (
        b"From: frank@customer.test\r\nTo: support@shop.test\r\nSubject: broken\r\n"
        b"Message-ID: <broken@customer.test>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="NEVER"\r\n\r\n'
        b"--WRONG\r\nContent-Type: text/plain\r\n\r\nText behind a wrong boundary\r\n"
    )


def unterminated_multipart() -> bytes:
    return (
        b"From: gina@customer.test\r\nSubject: unterminated\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nstarts fine\r\n--B\r\nContent-Type: image/png\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo!!!notbase64"
    )


def eight_bit_headers() -> bytes:
    return (
        "From: Иван Петров <ivan@customer.test>\r\nTo: support@shop.test\r\n"
        "Subject: Заказ №5 не пришёл\r\nMessage-ID: <8bit@customer.test>\r\n\r\nтекст\r\n"
    ).encode()


def latin1_8bit_header() -> bytes:
    return (
        b"From: J\xf6rg <jorg@customer.test>\r\nSubject: Gr\xfc\xdfe\r\n"
        b"Message-ID: <latin@customer.test>\r\n\r\nbody\r\n"
    )


def many_recipients(n: int = 2000) -> bytes:
    to = ",\r\n ".join(f"r{i}@customer.test" for i in range(n))
    return simple(subject="to many", to=to, msgid="<many@customer.test>")


def control_chars() -> bytes:
    return (
        b"From: \x1b[31mEvil\x1b[0m \x07 <evil@customer.test>\r\n"
        b"Subject: =?utf-8?q?=1B]0;pwned=07_hi_=E2=80=AE_rtl?= \x1b[2J\x00\r\n"
        b"Message-ID: <ctl@customer.test>\r\n\r\nbody \x1b[1mbold\x1b[0m \x9b31m\r\n"
    )


CORPUS: dict[str, bytes] = {
    "plain": simple(),
    "broken_boundary": broken_boundary(),
    "unterminated_multipart": unterminated_multipart(),
    "eight_bit_headers": eight_bit_headers(),
    "latin1_8bit_header": latin1_8bit_header(),
    "missing_message_id": simple(msgid=None),
    "many_recipients": many_recipients(),
    "nested_rfc822": nested_rfc822(),
    "zero_byte_body": b"From: z@customer.test\r\nSubject: empty\r\n\r\n",
    "zero_byte_message": b"",
    "headers_only_no_blank_line": b"From: h@customer.test\r\nSubject: no body",
    "garbage": b"\x00\x01\x02 this is not mail at all \xff\xfe",
    "no_from": b"Subject: who?\r\nMessage-ID: <nofrom@x>\r\n\r\nbody\r\n",
    "control_chars": control_chars(),
    "unknown_charset": charset_mail("hello", "utf-8", declared="x-no-such-charset"),
    "bad_encoded_word": simple(subject="=?utf-8?b?!!!notbase64?= =?unknown?q?x?="),
    "bad_date": simple(extra="Date: yesterday-ish\r\n"),
    "huge_header_line": simple(subject="x" * 100_000),
    "deep_nesting": (
        b"From: deep@customer.test\r\nMIME-Version: 1.0\r\n"
        + b"".join(
            f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode()
            for i in range(200)
        )
        + b"Content-Type: text/plain\r\n\r\ndeep\r\n"
    ),
}
