"""Builders for mail shaped like real clients send it (Apple Mail screenshots, Outlook folding,
old mailers' 8-bit names and uuencode): small MIME trees assembled from parts."""

from __future__ import annotations

import base64
import binascii

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def head(sender: str = "Ann Customer <ann@customer.test>", subject: str = "Question",
         extra: str = "") -> str:
    return (
        f"From: {sender}\r\nTo: support@shop.test\r\nSubject: {subject}\r\n"
        "Date: Mon, 23 Nov 2026 10:00:00 +0100\r\nMessage-ID: <real@customer.test>\r\n"
        f"{extra}MIME-Version: 1.0\r\n"
    )


def text_part(text: str, subtype: str = "plain", charset: str = "utf-8") -> str:
    return f"Content-Type: text/{subtype}; charset={charset}\r\n\r\n{text}\r\n"


def file_part(name: str, data: bytes = PNG, ctype: str = "image/png",
              disposition: str = "inline", cid: str | None = None) -> str:
    b64 = base64.encodebytes(data).decode().replace("\n", "\r\n")
    cid_line = f"Content-ID: <{cid}>\r\n" if cid else ""
    return (
        f'Content-Type: {ctype}; name="{name}"\r\n{cid_line}'
        f'Content-Disposition: {disposition}; filename="{name}"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n"
    )


def multipart(subtype: str, boundary: str, *parts: str) -> str:
    body = "".join(f"--{boundary}\r\n{p}" for p in parts) + f"--{boundary}--\r\n"
    return f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n' + body


def mail(tree: str, **kw: str) -> bytes:
    return (head(**kw) + tree).encode()


def uuencoded(name: str, data: bytes) -> str:
    lines = "".join(binascii.b2a_uu(data[i:i + 45]).decode() for i in range(0, len(data), 45))
    return f"begin 644 {name}\n{lines}`\nend\n"
