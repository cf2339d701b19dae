"""The README's server install, then what broke it: an agent's console while the service is down.

Real Unix users (the service user, agents in the group, an outsider), the installed `omnitui`
run as each of them, the console in tmux at 80×24. The tests run in file order on one install.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.tmux import Tmux
from tests.unix_users import ServerInstall, as_user, make_user, run_as

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def user_tmux(user: str, install: ServerInstall) -> Tmux:
    """A tmux server of one Unix user (the console in it at 80×24), as that user logs in."""
    return Tmux(user=user, env=install.env())


@pytest.fixture
def ann_console(server_install: ServerInstall) -> Iterator[Tmux]:
    tmux = user_tmux(server_install.agent, server_install)
    yield tmux
    tmux.kill()


def start_service_hub(install: ServerInstall) -> subprocess.Popen[str]:
    """`omnitui serve` as the service user, as the systemd unit would run it."""
    hub = subprocess.Popen(as_user(install.service_user, [install.bin, "serve"], install.env()),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/")
    deadline = time.monotonic() + 30
    while not hub_running(install):
        assert hub.poll() is None, f"serve exited: {hub.communicate()}"
        assert time.monotonic() < deadline, "serve did not take the hub lock in 30 s"
        time.sleep(0.2)
    return hub


def stop_service_hub(hub: subprocess.Popen[str]) -> str:
    hub.terminate()
    _, stderr = hub.communicate(timeout=30)
    assert hub.returncode == 0, stderr
    return stderr


def hub_running(install: ServerInstall) -> bool:
    done = run_as(install.agent, [install.bin, "status", "--json"], env=install.env())
    assert done.returncode == 0, done.stderr
    return bool(json.loads(done.stdout)["hub"]["running"])


def assert_group_usable(install: ServerInstall) -> None:
    """Every file and folder: the agents' group, 02770 folders, 0660 files (sockets 0660)."""
    for path in [install.data_dir, *install.data_dir.rglob("*")]:
        st = path.lstat()
        assert st.st_gid == _gid(install.group), f"{path} has group {st.st_gid}"
        wanted = 0o2770 if stat.S_ISDIR(st.st_mode) else 0o660
        assert stat.S_IMODE(st.st_mode) == wanted, f"{path} has mode {st.st_mode:o}"


def assert_one_sentence(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("Error: ") and len(done.stderr.strip().splitlines()) == 1, \
        done.stderr
    for needle in needles:
        assert needle in done.stderr, (needle, done.stderr)


def _gid(group: str) -> int:
    return grp.getgrnam(group).gr_gid


def test_readme_install_gives_the_data_dir_to_the_group(server_install: ServerInstall) -> None:
    data = server_install.data_dir
    st = data.stat()
    assert stat.S_IMODE(st.st_mode) == 0o2770
    assert (st.st_uid, st.st_gid) == (_uid(server_install.service_user), _gid(server_install.group))
    assert_group_usable(server_install)
    done = run_as(server_install.agent, [server_install.bin, "status"], env=server_install.env())
    assert done.returncode == 0, done.stderr
    assert "hub: not running" in done.stdout


def test_agent_console_with_the_service_down_starts_no_hub(
        server_install: ServerInstall, ann_console: Tmux) -> None:
    assert not hub_running(server_install)
    ann_console.start(server_install.bin)
    pane = ann_console.wait("replies are queued")
    assert "hub not running" in pane
    assert "did not start" not in pane
    assert not hub_running(server_install)
    ann_uid = _uid(server_install.agent)
    for name in ("hub.lock", "hub.log", "chat.sock"):
        path = server_install.data_dir / name
        assert not path.exists() or path.stat().st_uid != ann_uid, f"{name} made by the agent"
    assert_group_usable(server_install)


def test_service_hub_starts_beside_an_agent_console_and_both_share_files(
        server_install: ServerInstall, ann_console: Tmux) -> None:
    ann_console.start(server_install.bin)
    ann_console.wait("replies are queued")
    hub = start_service_hub(server_install)
    try:
        ann_console.wait("chat up", timeout=30)
        assert hub.poll() is None
        service_uid = _uid(server_install.service_user)
        made = ["hub.log", "chat.sock"]
        if not server_install.database:  # (PostgreSQL: an advisory lock, no file)
            made.append("hub.lock")
        for name in made:
            assert (server_install.data_dir / name).stat().st_uid == service_uid
        assert_group_usable(server_install)
    finally:
        stderr = stop_service_hub(hub)
    assert "Traceback" not in stderr
    pane = ann_console.wait("hub not running since", timeout=30)
    assert "replies are queued" in pane
    assert_group_usable(server_install)


def test_an_agents_attachment_is_readable_by_the_service(server_install: ServerInstall) -> None:
    python = server_install.root / "opt/omnitui/bin/python"
    attachments = server_install.data_dir / "attachments"
    code = ("import sys; from pathlib import Path; from omnitui.store.files import store_bytes; "
            "print(store_bytes(Path(sys.argv[1]), b'receipt 4412'))")
    done = run_as(server_install.agent, [str(python), "-c", code, str(attachments)])
    assert done.returncode == 0, done.stderr
    digest = done.stdout.strip()
    blob = attachments / digest[:2] / digest[2:]
    read = run_as(server_install.service_user, ["cat", str(blob)])
    assert read.stdout == "receipt 4412"
    assert_group_usable(server_install)


def test_files_left_by_an_old_console_are_one_sentence_and_init_repairs_them(
        server_install: ServerInstall) -> None:
    """What an older console's embedded hub left: hub.log 0644 and hub.lock, owned by ann."""
    data, agent = server_install.data_dir, server_install.agent
    damage = run_as(agent, ["sh", "-c", f"cd {data} && rm -f hub.log hub.lock && umask 022 && "
                            "echo 'an old hub line' > hub.log && : > hub.lock"])
    assert damage.returncode == 0, damage.stderr
    serve = run_as(server_install.service_user, [server_install.bin, "serve"],
                   env=server_install.env(), timeout=60)
    assert_one_sentence(serve, f"Cannot write {data / 'hub.log'} (owner {agent}",
                        "mode 0644", f"omnitui init --shared-group {server_install.group}'")

    repair = subprocess.run(
        ["sudo", "-u", server_install.service_user, f"OMNITUI_CONFIG={server_install.config}",
         server_install.bin, "init", "--shared-group", server_install.group],
        capture_output=True, text=True, timeout=60, cwd="/")
    assert repair.returncode == 0, repair.stderr
    log = data / "hub.log"
    assert log.stat().st_uid == _uid(server_install.service_user)
    assert log.read_text() == "an old hub line\n"
    assert_group_usable(server_install)
    stop_service_hub(start_service_hub(server_install))


def test_status_and_console_by_a_user_outside_the_group_are_one_sentence(
        server_install: ServerInstall) -> None:
    olga = make_user("olga")
    status = run_as(olga, [server_install.bin, "status"], env=server_install.env())
    config_dir = server_install.config.parent
    assert_one_sentence(status, f"Cannot enter {config_dir} (owner root, group "
                        f"{server_install.group}, mode 0750)", f"you ({olga}) are not in the "
                        f"group", f"'usermod -aG {server_install.group} {olga}'")

    if server_install.database:
        return  # past the config, PostgreSQL's login decides (tests/cli/test_postgres_roles.py)
    own_config = Path(f"/home/{olga}/config.toml")
    shutil.copy(server_install.config, own_config)
    os.chown(own_config, _uid(olga), -1)
    for argv in ([server_install.bin, "status"], [server_install.bin]):
        done = run_as(olga, argv, env={"OMNITUI_CONFIG": str(own_config)})
        assert_one_sentence(done, f"Cannot enter {server_install.data_dir} (owner "
                            f"{server_install.service_user}", "mode 2770",
                            f"'usermod -aG {server_install.group} {olga}'")


def _uid(user: str) -> int:
    return pwd.getpwnam(user).pw_uid
