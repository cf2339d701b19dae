"""Fixtures for the email channel tests: a real Dovecot per session, fresh users per test.

Why real servers: the faults that lose or double mail (BYE during IDLE, a dropped FETCH, a server
restart) only happen on a real wire. A missing Dovecot skips these tests, except under CI=true,
where it fails them so a broken runner cannot pass silently.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from mailctx import RecordingContext
from mailservers import Dovecot, dovecot_available, self_signed

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


@pytest.fixture
def user(dovecot: Dovecot) -> str:
    return make_user(dovecot)


@pytest.fixture
def ctx(tmp_path: Path) -> RecordingContext:
    return RecordingContext(tmp_path)


@pytest.fixture(scope="session")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One self-signed certificate for 127.0.0.1 (its own CA), shared by every TLS test."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    directory = tmp_path_factory.mktemp("tls")
    directory.chmod(0o755)  # Dovecot reads it as its own user
    return self_signed(directory)
