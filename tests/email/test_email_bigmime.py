"""bigmime must build exactly the tree the stdlib builds, on clean and broken mail alike."""

from __future__ import annotations

import base64
import email
import email.policy
import random
from email.message import Message

import pytest
from mailcorpus import CORPUS, nested_rfc822, with_attachment

from omnitui.channels.email.bigmime import message_from_bytes

pytestmark = pytest.mark.engine_free  # opens no store


def _b64(n: int, eol: bytes = b"\r\n", seed: int = 1) -> bytes:
    data = random.Random(seed).randbytes(n)
    return base64.encodebytes(data).replace(b"\n", eol)


def _shape(msg: Message) -> list[object]:
    out: list[object] = []
    for part in msg.walk():
        payload = part.get_payload()
        out.append((
            list(part.raw_items()),
            payload if isinstance(payload, str) else len(payload),
            part.preamble,
            part.epilogue,
            [type(d).__name__ for d in part.defects],
        ))
    return out


B64 = _b64(300_000)
CASES: dict[str, bytes] = {
    **CORPUS,
    "attachment": with_attachment(random.Random(2).randbytes(200_000)),
    "attachment_lf": with_attachment(random.Random(3).randbytes(90_000)).replace(b"\r\n", b"\n"),
    "run_before_boundary": (
        b'From: a@x\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + B64 + b"--B--\r\n"
    ),
    "run_in_preamble_and_epilogue": (
        b'From: a@x\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n' + B64
        + b"--B\r\n\r\nhi\r\n--B--\r\n" + B64
    ),
    "run_in_headers": b"From: a@x\r\n" + B64 + b"\r\nbody\r\n",
    "run_without_final_eol": b"From: a@x\r\n\r\n" + B64.rstrip(),
    "mixed_eols": b"From: a@x\r\n\r\n" + _b64(100_000, b"\n") + _b64(100_000, b"\r\n", 4),
    "broken_boundary_with_run": (
        b'From: a@x\r\nContent-Type: multipart/mixed; boundary="NOPE"\r\n\r\n--B\r\n' + B64
    ),
    "nested_with_run": nested_rfc822().replace(b"\r\n\r\n", b"\r\n\r\n" + B64, 1),
    "two_runs_one_part": b"From: a@x\r\n\r\n" + B64 + b"x y\r\n" + B64,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_tree_as_the_stdlib(name: str) -> None:
    raw = CASES[name]
    want = email.message_from_bytes(raw, policy=email.policy.compat32)
    got = message_from_bytes(raw, min_size=0)
    assert _shape(got) == _shape(want)
    assert got.as_bytes() == want.as_bytes()


def test_a_placeholder_lookalike_in_the_mail_falls_back() -> None:
    raw = b"From: a@x\r\n\r\nOmnituiRun" + b"0" * 16 + b"N0Z\r\n" + B64
    assert _shape(message_from_bytes(raw, min_size=0)) == _shape(
        email.message_from_bytes(raw, policy=email.policy.compat32))


def test_big_attachments_take_the_short_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from email.parser import BytesParser

    sizes: list[int] = []
    real = BytesParser.parsebytes

    def spy(self: BytesParser, text: bytes, headersonly: bool = False) -> Message:
        sizes.append(len(text))
        return real(self, text, headersonly)

    monkeypatch.setattr(BytesParser, "parsebytes", spy)
    raw = CASES["attachment"]
    message_from_bytes(raw)
    assert len(sizes) == 1 and sizes[0] < len(raw) // 10  # parsed once, without the base64
