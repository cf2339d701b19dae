"""Real Unix users and groups for tests, and the README's server install followed verbatim.

Tests that need several Unix users (agents in a group, a service user, an outsider) create them
here; every name carries a per-run suffix so a run never touches a real account, and everything
created is removed when the test process exits. Only root can do this: `need_root()` skips.

`server_install()` runs the README's "Server install" steps 1–5 as written, with only the
machine paths and names moved aside (a temporary /opt, /etc and /var/lib, this checkout for
/path/to/omnitui, unique user and group names), and stops where systemd would start the unit.
Given a PostgreSQL URL, the config also gets the `database` key, as docs/postgresql.md says
("the server install of the README applies on each host as it is").
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[1]
SUFFIX = format(os.getpid() % 0xFFFF, "04x")
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

_groups: list[str] = []
_users: list[str] = []
_dirs: list[Path] = []
_install: ServerInstall | None = None


def need_root() -> None:
    """Creating users and switching to them needs root (CI runs as root)."""
    if os.geteuid() != 0:
        pytest.skip("needs root: creates Unix users and groups")


def _register_cleanup() -> None:
    if not (_groups or _users or _dirs):
        atexit.register(_remove_everything)


def make_group(name: str) -> str:
    """A Unix group named `name-SUFFIX` (created once per run); returns its name."""
    full = f"{name}-{SUFFIX}"
    if full not in _groups:
        _register_cleanup()
        _run(["groupadd", "-f", full])
        _groups.append(full)
    return full


def make_user(name: str, groups: Sequence[str] = ()) -> str:
    """A Unix user `name-SUFFIX` with its own home, in `groups` too; returns its name."""
    full = f"{name}-{SUFFIX}"
    if full not in _users:
        _register_cleanup()
        if not _user_exists(full):
            _run(["useradd", "--create-home", "--shell", "/bin/sh", full])
        _users.append(full)
    if groups:
        _run(["usermod", "-aG", ",".join(groups), full])
    return full


def as_user(user: str, argv: Sequence[str], env: Mapping[str, str] | None = None) -> list[str]:
    """argv run as `user` (their groups too) with a clean login-like environment."""
    entry = pwd.getpwnam(user)
    base = {
        "PATH": BASE_PATH, "HOME": entry.pw_dir, "USER": user, "LOGNAME": user,
        "LANG": "C.UTF-8", "TERM": "xterm-256color",
    }
    base.update(env or {})
    # setpriv execs in place (runuser forks and answers SIGTERM itself): a signal sent to the
    # process reaches the program, as systemd's would.
    return ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups",
            "--", "env", "-i", *(f"{k}={v}" for k, v in base.items()), *argv]


def run_as(
    user: str,
    argv: Sequence[str],
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run argv as `user` (see `as_user`), from / (root's working folder is not theirs)."""
    return subprocess.run(as_user(user, argv, env), input=input, capture_output=True,
                          text=True, timeout=timeout, cwd="/")


@dataclass(frozen=True)
class ServerInstall:
    """What the README's server install leaves behind, under a temporary root."""

    root: Path
    bin: str  # the `omnitui` every user can run (the README's symlink)
    config: Path
    data_dir: Path
    service_user: str
    group: str
    agent: str  # the agent the README adds (its "ann")
    database: str | None = None  # the config's `database` (PostgreSQL), else the SQLite file

    def env(self, **extra: str) -> dict[str, str]:
        """The environment the README's commands give omnitui."""
        return {"OMNITUI_CONFIG": str(self.config), **extra}

    @property
    def store_location(self) -> str:
        """Where the install's store is: its PostgreSQL URL or its SQLite file."""
        return self.database or str(self.data_dir / "omnitui.db")

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        """A read of the install's store as the test's root sees it (either engine)."""
        from omnitui.store.db import Store

        store = Store.open(self.store_location, migrate=False)
        try:
            return [tuple(row) for row in store.conn.execute(sql, tuple(params)).fetchall()]
        finally:
            store.close()


def server_install(database: str | None = None) -> ServerInstall:
    """Follow the README's server install once per test run; later calls return the same."""
    global _install
    need_root()
    if _install is not None:
        return _install
    if shutil.which("sudo") is None:
        pytest.fail("sudo is not installed; the README's test line installs it")
    root = Path(tempfile.mkdtemp(prefix="omnitui-server-"))
    root.chmod(0o755)
    _register_cleanup()
    _dirs.append(root)
    for sub in ("opt", "etc", "var/lib", "bin"):
        (root / sub).mkdir(parents=True, exist_ok=True)
        (root / sub).chmod(0o755)
    group = f"omnitui-agents-{SUFFIX}"
    service_user = f"omnitui-{SUFFIX}"
    agent = f"ann-{SUFFIX}"
    _groups.append(group)
    _users.extend([agent, service_user])
    _run(["useradd", "--create-home", "--shell", "/bin/sh", agent])
    script = readme_server_install(root, group=group, service_user=service_user, agent=agent,
                                   database=database)
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=root,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    if done.returncode != 0:
        pytest.fail(f"the README's server install failed:\n{script}\n{done.stdout}\n{done.stderr}")
    _install = ServerInstall(
        root=root, bin=str(root / "bin" / "omnitui"), config=root / "etc/omnitui/config.toml",
        data_dir=root / "var/lib/omnitui/data", service_user=service_user, group=group,
        agent=agent, database=database)
    return _install


def readme_server_install(root: Path, *, group: str, service_user: str, agent: str,
                          database: str | None = None) -> str:
    """Steps 1–5 of the README's server install as one shell script, paths and names moved.

    The config's "edit it" step becomes a line that points data_dir at the install's data dir
    (and adds `database` below it when the store is on PostgreSQL).
    """
    block = re.search(r"## Server install\n.*?```sh\n(.*?)```", _readme(), re.S)
    assert block, "README.md has no Server install block"
    lines: list[str] = []
    for line in block.group(1).splitlines():
        if line.startswith("# 6."):
            break
        if line.startswith("#    edit it"):
            data_dir = root / "var/lib/omnitui/data"
            lines.append(f"sed -i 's|^data_dir = .*|data_dir = \"{data_dir}\"|' "
                         f"{root}/etc/omnitui/config.toml")
            if database:
                lines.append(f"sed -i '/^data_dir = /a database = \"{database}\"' "
                             f"{root}/etc/omnitui/config.toml")
            continue
        line = _move_aside(line, root, group, service_user, agent)
        if database:  # step 2's PostgreSQL variant, which its comment names
            line = line.replace(f"pip install {CHECKOUT}", f"pip install '{CHECKOUT}[postgresql]'")
        lines.append(line)
    return "\n".join(lines) + "\n"


def _move_aside(line: str, root: Path, group: str, service_user: str, agent: str) -> str:
    line = re.sub(r"\s+#.*$", "", line) if not line.startswith("#") else line
    line = line.replace("/path/to/omnitui", str(CHECKOUT))
    line = re.sub(r"^python3 ", "/usr/bin/python3 ", line)
    line = line.replace("/usr/local/bin/omnitui", f"{root}/bin/omnitui")
    for machine_dir in ("/opt/omnitui", "/etc/omnitui", "/var/lib/omnitui"):
        line = line.replace(machine_dir, f"{root}{machine_dir}")
    line = line.replace("omnitui-agents", group)
    line = line.replace("sudo -u omnitui ", f"sudo -u {service_user} ")
    line = re.sub(r"(useradd .*) omnitui$", rf"\1 {service_user}", line)
    line = re.sub(r"(OMNITUI_CONFIG=\S+) omnitui ", rf"\1 {root}/bin/omnitui ", line)
    line = re.sub(r"\bann\b", agent, line)
    line = line.replace(" sample.toml ", f" {CHECKOUT}/sample.toml ")
    return line


def _readme() -> str:
    return (CHECKOUT / "README.md").read_text(encoding="utf-8")


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _run(argv: list[str]) -> None:
    subprocess.run(argv, check=True, capture_output=True, text=True, timeout=60)


def _remove_everything() -> None:
    """Users first (their primary groups go with them), then groups, then the install root."""
    for user in reversed(_users):
        subprocess.run(["userdel", "--force", "--remove", user], capture_output=True)
    for group in reversed(_groups):
        subprocess.run(["groupdel", group], capture_output=True)
    for directory in _dirs:
        shutil.rmtree(directory, ignore_errors=True)
