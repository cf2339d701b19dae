"""Fixtures for the email channel tests: a real Dovecot per session, fresh users per test.

Why real servers: the faults that lose or double mail (BYE during IDLE, a dropped FETCH, a server
restart) only happen on a real wire. A missing Dovecot skips these tests, except under CI=true,
where it fails them so a broken runner cannot pass silently.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from mailctx import RecordingContext
from mailservers import Dovecot, dovecot_available

from omnitui.config import EmailSettings

_users = itertools.count(1)


def require_dovecot() -> None:
    if dovecot_available():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("Dovecot (package dovecot-imapd) is missing and CI=true: install it.")
    pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    require_dovecot()
    server = Dovecot()
    server.start()
    yield server
    server.close()


@pytest.fixture
def own_dovecot() -> Iterator[Dovecot]:
    """A private instance for tests that stop and restart the server."""
    require_dovecot()
    server = Dovecot()
    server.start()
    yield server
    server.close()


def make_user(server: Dovecot) -> str:
    user = f"user{next(_users)}"
    assert user in server.users, "raise the pre-made user count in mailservers.Dovecot"
    return user


def make_settings(
    server: Dovecot | None,
    user: str,
    monkeypatch: pytest.MonkeyPatch,
    smtp_port: int = 25,
    **overrides: object,
) -> EmailSettings:
    env = f"OMNITUI_TEST_PW_{user.upper()}"
    monkeypatch.setenv(env, server.users[user] if server else "pw")
    values: dict[str, object] = {
        "kind": "email",
        "address": "support@shop.test",
        "imap_host": "127.0.0.1",
        "imap_port": server.port if server else 9,
        "imap_security": "none",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_security": "none",
        "username": user,
        "password_env": env,
        "timeout": 5.0,
        "poll_interval": 1.0,
        "batch_size": 50,
    }
    values.update(overrides)
    return EmailSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def user(dovecot: Dovecot) -> str:
    return make_user(dovecot)


@pytest.fixture
def ctx(tmp_path: Path) -> RecordingContext:
    return RecordingContext(tmp_path)
