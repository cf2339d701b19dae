"""The reply token in mail: a plus-address in Reply-To and a tag in the subject.

Why both: many clients drop custom headers and some rewrite Reply-To, but a reply keeps either the
address it was sent to or the subject. The core creates the token (unguessable) and decides whether
it may route; this module only writes and finds it. With the channel's `reply_token = "off"`
neither is written (a provider without plus-addressing bounces the Reply-To); answers then
thread by In-Reply-To/References alone.
"""

from __future__ import annotations

import re

TOKEN_RE = r"[A-Za-z0-9_-]{6,64}"
SUBJECT_TAG_RE = re.compile(r"\[ref:(" + TOKEN_RE + r")\]")


def plus_address(address: str, token: str) -> str:
    """support@shop.example + tok → support+tok@shop.example."""
    local, _, domain = address.partition("@")
    local = local.split("+", 1)[0]
    return f"{local}+{token}@{domain}"


def tag_subject(subject: str | None, token: str) -> str:
    """Append [ref:TOKEN] to a subject once."""
    subject = subject or ""
    tag = f"[ref:{token}]"
    if tag in subject:
        return subject
    return f"{subject} {tag}".strip()


def find_token(address: str, recipients: tuple[str, ...], subject: str | None) -> str | None:
    """The token from a plus-address to our channel address, else from the subject tag."""
    local, _, domain = address.lower().partition("@")
    local = local.split("+", 1)[0]
    pattern = re.compile(
        "^" + re.escape(local) + r"\+(" + TOKEN_RE + ")@" + re.escape(domain) + "$", re.I
    )
    for rcpt in recipients:
        m = pattern.match(rcpt.strip())
        if m:
            return m.group(1)
    m = SUBJECT_TAG_RE.search(subject or "")
    return m.group(1) if m else None
