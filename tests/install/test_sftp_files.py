"""Files between an agent's own computer and the server: the README's sshd snippet, for real.

A real sshd on two free loopback ports runs config/sshd-omnitui.conf (paths moved aside) over
the README's server install; a real sftp/scp client logs in with a key as the install's agent.
On the files port the agent gets SFTP confined to their own files folder; on the console port
the ForceCommand still runs the console, whatever the client asks for.
"""

from __future__ import annotations

import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from omnitui.tui.screens.file_actions import folder_files
from tests.tui.tmux import Tmux
from tests.unix_users import CHECKOUT, SUFFIX, ServerInstall, make_user, need_root, run_as

SSHD = "/usr/sbin/sshd"
pytestmark = pytest.mark.skipif(
    not (Path(SSHD).exists() and shutil.which("sftp") and shutil.which("tmux")),
    reason="needs openssh-server, openssh-client and tmux (the README's test line installs them)")

ALL_BYTES = bytes(range(256)) * 64
HOSTILE = "../../etc/passwd\x1b[31m.png"
SAFE = "_.._etc_passwd[31m.png"
SEED = """
import json, sys
from omnitui.channels.base import Inbound, InboundAttachment
from omnitui.config import load_settings
from omnitui.core.ingest import ingest
from omnitui.store.db import Store
s = load_settings()
store = Store.open(s.database)
att = InboundAttachment(sys.argv[1], "image/png", 16384, bytes(range(256)) * 64)
r = ingest(store, Inbound(channel="chat", kind="chat", external_id="sftp:1", address="sftp-v",
                          text="my photo", attachments=(att,)), attachments_dir=s.attachments_dir)
aid = store.conn.execute("SELECT max(id) FROM attachment").fetchone()[0]
print(json.dumps([r.conversation_id, aid]))
"""


@dataclass(frozen=True)
class Sshd:
    install: ServerInstall
    console_port: int
    files_port: int
    key: Path
    config: Path  # the omnitui config the ForceCommand names
    folder: Path  # the agent's files folder on the server

    def client(self, port: int) -> list[str]:
        return ["-i", str(self.key), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", "-o", f"Port={port}"]

    def sftp(self, batch: str, *, port: int | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["sftp", *self.client(port or self.files_port), "-b", "-",
                               f"{self.install.agent}@127.0.0.1"], input=batch,
                              capture_output=True, text=True, timeout=60)

    def omnitui(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The installed omnitui as the agent, with the config the console login uses."""
        return run_as(self.install.agent, [self.install.bin, *args],
                      env={"OMNITUI_CONFIG": str(self.config)})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sshd_config(install: ServerInstall, config: Path, files_root: Path, ports: tuple[int, int],
                host_key: Path, pid: Path) -> str:
    """The README's snippet with the install's paths, behind the lines a test sshd needs."""
    snippet = (CHECKOUT / "config/sshd-omnitui.conf").read_text(encoding="utf-8")
    snippet = (snippet.replace("omnitui-agents", install.group)
               .replace("/etc/omnitui/config.toml", str(config))
               .replace("/usr/local/bin/omnitui", install.bin)
               .replace("/var/lib/omnitui-files", str(files_root))
               .replace("LocalPort 2222", f"LocalPort {ports[1]}"))
    return "\n".join([
        f"ListenAddress 127.0.0.1:{ports[0]}", f"ListenAddress 127.0.0.1:{ports[1]}",
        f"HostKey {host_key}", f"PidFile {pid}", "UsePAM yes", "PasswordAuthentication no",
        "KbdInteractiveAuthentication no", "PubkeyAuthentication yes",
        "Subsystem sftp /usr/lib/openssh/sftp-server", "LogLevel VERBOSE", "", snippet])


def wait_for_port(port: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else "sshd exited"
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"sshd never listened on {port}")


@pytest.fixture(scope="module")
def sshd(server_install: ServerInstall, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Sshd]:
    need_root()
    install = server_install
    tmp = tmp_path_factory.mktemp("sshd")
    files_root = Path(f"/srv/omnitui-files-test-{SUFFIX}")  # a chroot's path is root's
    config = install.root / "etc/omnitui/files-config.toml"
    config.write_text(install.config.read_text(encoding="utf-8") + "\n[console]\n"
                      f'files_dir = "{files_root}/{{agent}}/files"\n', encoding="utf-8")
    shutil.copymode(install.config, config)
    shutil.copystat(install.config, config)
    shutil.chown(config, group=install.group)
    # The README's step 8: as root, init makes each agent's files folder under its chroot.
    made = subprocess.run([install.bin, "init", "--shared-group", install.group],
                          env={"OMNITUI_CONFIG": str(config), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    folder = files_root / install.agent / "files"
    assert f"{install.agent}'s files folder is {folder}" in made.stdout
    assert (folder.parent.stat().st_uid, folder.parent.stat().st_mode & 0o777) == (0, 0o755)
    assert folder.stat().st_mode & 0o777 == 0o700
    key = tmp / "agent_key"
    host_key = tmp / "host_key"
    for path in (key, host_key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
                       check=True, timeout=30)
    home = Path(run_as(install.agent, ["sh", "-c", "echo $HOME"]).stdout.strip())
    ssh_dir = home / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    (ssh_dir / "authorized_keys").write_text(key.with_suffix(".pub").read_text())
    for path in (ssh_dir, ssh_dir / "authorized_keys"):
        shutil.chown(path, user=install.agent)
    (ssh_dir / "authorized_keys").chmod(0o600)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    ports = (free_port(), free_port())
    cfg = tmp / "sshd_config"
    cfg.write_text(sshd_config(install, config, files_root, ports, host_key, tmp / "sshd.pid"))
    checked = subprocess.run([SSHD, "-t", "-f", str(cfg)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(cfg)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        for port in ports:
            wait_for_port(port, proc)
        yield Sshd(install, ports[0], ports[1], key, config, folder)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(files_root, ignore_errors=True)


def test_upload_then_attach_and_download_a_customers_file(sshd: Sshd, tmp_path: Path) -> None:
    install = sshd.install
    seeded = run_as(install.service_user, [str(install.root / "opt/omnitui/bin/python"), "-c",
                                           SEED, HOSTILE], env={"OMNITUI_CONFIG": str(sshd.config)})
    assert seeded.returncode == 0, seeded.stderr
    conversation, attachment = (int(x) for x in seeded.stdout.strip("[]\n").split(","))
    # Upload from the agent's computer: sftp, and scp over the SFTP protocol.
    offer = tmp_path / "Offer ü 4412.pdf"
    offer.write_bytes(ALL_BYTES)
    done = sshd.sftp(f'put "{offer}" files/\n')
    assert done.returncode == 0, done.stderr
    second = tmp_path / "second.bin"
    second.write_bytes(ALL_BYTES[::-1])
    scp = subprocess.run(["scp", "-s", *sshd.client(sshd.files_port), str(second),
                          f"{install.agent}@127.0.0.1:files/"], capture_output=True, text=True,
                         timeout=60)
    assert scp.returncode == 0, scp.stderr
    assert [p.name for p, _ in folder_files(sshd.folder)] == ["second.bin", "Offer ü 4412.pdf"] \
        or {p.name for p, _ in folder_files(sshd.folder)} == {"second.bin", "Offer ü 4412.pdf"}
    # Attach it on the server side, as the agent (the console's picker lists this folder).
    sent = sshd.omnitui("reply", str(conversation), "Our offer", "--attach",
                        str(sshd.folder / "Offer ü 4412.pdf"))
    assert sent.returncode == 0, sent.stderr
    [(digest,)] = install.rows("SELECT a.sha256 FROM attachment a JOIN message m ON m.id = "
                               "a.message_id WHERE m.kind = 'outbound' AND a.filename = ?",
                               ("Offer ü 4412.pdf",))
    if install.database:  # PostgreSQL keeps the bytes in the database
        [(kept,)] = install.rows("SELECT data FROM attachment_blob WHERE sha256 = ?", (digest,))
        assert bytes(kept) == ALL_BYTES  # type: ignore[arg-type]
    else:
        blob = install.data_dir / "attachments" / str(digest)[:2] / str(digest)[2:]
        assert blob.read_bytes() == ALL_BYTES
    # The customer's file: saved on the server into the folder, downloaded to the computer.
    saved = sshd.omnitui("attachment", "save", str(attachment))
    assert saved.returncode == 0 and SAFE in saved.stdout, saved.stderr
    out = tmp_path / "downloaded"
    out.mkdir()
    got = sshd.sftp(f'get files/* "{out}/"\n')
    assert got.returncode == 0, got.stderr
    assert (out / SAFE).read_bytes() == ALL_BYTES
    assert (out / "Offer ü 4412.pdf").read_bytes() == ALL_BYTES


def test_sftp_never_leaves_the_files_folder(sshd: Sshd, tmp_path: Path) -> None:
    install = sshd.install
    local = tmp_path / "local.txt"
    local.write_bytes(b"x")
    got = tmp_path / "got"
    batch = "\n".join([
        "ls -1a /", "-get /etc/passwd " + str(got), "-get ../../../../etc/passwd " + str(got),
        f"-get {install.data_dir}/omnitui.db {got}", f"-ls {install.data_dir}",
        "-cd /..", "pwd", f"-put {local} /escaped.txt", "-mkdir /new",
        "-symlink /etc/passwd files/link", f"-get files/link {got}", ""])
    done = sshd.sftp(batch)
    assert done.returncode == 0, done.stderr
    listing = done.stdout.split("sftp> -get")[0].splitlines()[1:]
    assert listing == ["/.", "/..", "/files"]  # the chroot holds nothing else
    assert "omnitui.db" not in done.stdout.replace(f"{install.data_dir}/omnitui.db", "")
    assert "Remote working directory: /\n" in done.stdout
    assert not got.exists()
    assert not (sshd.folder.parent / "escaped.txt").exists()
    assert not (sshd.folder.parent / "new").exists()


def test_the_console_login_still_runs_the_console(sshd: Sshd) -> None:
    install = sshd.install
    ssh = ["ssh", *sshd.client(sshd.console_port), f"{install.agent}@127.0.0.1"]
    # Asking for a command still gets the console (which needs a terminal), never a shell.
    asked = subprocess.run([*ssh, "cat", "/etc/passwd"], capture_output=True, text=True,
                           timeout=60, stdin=subprocess.DEVNULL)
    assert "root:x:0:0" not in asked.stdout and asked.returncode != 0
    assert "The console needs a terminal" in asked.stderr
    # sftp on the console port gets the console too, which says so and ends.
    assert sshd.sftp("ls\n", port=sshd.console_port).returncode != 0
    tmux = Tmux()
    tmux.start(" ".join([*ssh[:1], "-tt", *ssh[1:]]))
    try:
        pane = tmux.wait("Needs reply", timeout=60)
        assert "hub not running" in pane and "replies are queued" in pane  # a shared install
        # The file uploaded over SFTP (first test) is in the console's attach list.
        tmux.keys("2")
        tmux.wait("sftp-v")
        tmux.keys("Enter")
        tmux.wait("r reply")
        tmux.keys("r")
        tmux.type("From the console")
        tmux.keys("C-t")
        tmux.wait("Offer ü 4412.pdf")
        tmux.type("second.bin")  # a bare name is taken from the files folder
        tmux.keys("Enter")
        tmux.wait("📎 1 file:")
        tmux.keys("C-j")
        tmux.wait("Reply queued")
    finally:
        tmux.kill()
    names = install.rows("SELECT a.filename FROM attachment a JOIN message m ON m.id = "
                         "a.message_id WHERE m.text LIKE 'From the console%'")
    assert names == [("second.bin",)]


def test_agent_add_as_root_makes_the_new_agents_files_folder(sshd: Sshd) -> None:
    install = sshd.install
    bea = make_user("bea", groups=[install.group])
    done = subprocess.run([install.bin, "agent", "add", bea],
                          env={"OMNITUI_CONFIG": str(sshd.config), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    folder = sshd.folder.parent.parent / bea / "files"
    assert f"{bea}'s files folder is {folder} (SFTP: files/)." in done.stdout
    assert (folder.parent.stat().st_uid, folder.parent.stat().st_mode & 0o777) == (0, 0o755)
    assert (folder.stat().st_uid, folder.stat().st_mode & 0o777) == (pwd.getpwnam(bea).pw_uid,
                                                                     0o700)
