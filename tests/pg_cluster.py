"""A throwaway PostgreSQL cluster on loopback for the test run (Debian's packages).

PostgreSQL refuses to run as root, so under root the cluster belongs to the `postgres` system
user (made by Debian's package) and its commands run through `runuser`. Each test gets a database
of its own, cloned from a template that already holds the newest schema.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

TEMPLATE = "omnitui_template"
_counter = itertools.count(1)
_ADMIN_CONNECT = threading.Lock()


def pg_bindir() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner(argv: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *argv] if owner else argv


@dataclass
class Cluster:
    root: Path
    port: int
    owner: str | None
    bindir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def user(self) -> str:
        return self.owner or os.environ.get("USER", "postgres")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        """A superuser connection. One connects at a time: a worker once crashed (SIGSEGV in
        libpq's connect) while a finished test's database was dropped on a thread as the next
        test's was made; the cause was not found, and these connects need not overlap."""
        with _ADMIN_CONNECT:
            return psycopg.connect(self.url(), autocommit=True, gssencmode="disable")

    def start(self) -> None:
        data = self.root / "data"
        subprocess.run(_as_owner([str(self.bindir / "initdb"), "-D", str(data), "-A", "trust",
                                  "-E", "UTF8", "--locale=C.UTF-8", "-U", self.user],
                                 self.owner), check=True, capture_output=True)
        self._launch()

    def restart(self, *, down_for: float = 0.0) -> None:
        """A fast shutdown (every session is cut, open transactions roll back), `down_for`
        seconds with no server, then the same cluster on the same port again."""
        data = self.root / "data"
        postmaster = int((data / "postmaster.pid").read_text().split()[0])
        os.kill(postmaster, signal.SIGINT)  # to the server itself: runuser would not pass it on
        deadline = time.monotonic() + 30
        while (data / "postmaster.pid").exists():
            if time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL did not shut down")
            time.sleep(0.05)
        if self.process is not None:
            self.process.wait(timeout=30)
        time.sleep(down_for)
        self._launch()

    def _launch(self) -> None:
        data = self.root / "data"
        # fsync off: a throwaway cluster; its restarts are shutdowns, never a machine's crash.
        self.process = subprocess.Popen(
            _as_owner([str(self.bindir / "postgres"), "-D", str(data), "-p", str(self.port),
                       "-h", "127.0.0.1", "-k", str(self.root), "-c", "fsync=off",
                       "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                       "-c", "max_connections=400", "-c", "shared_buffers=64MB"],
                      self.owner),
            stdout=subprocess.DEVNULL, stderr=open(self.root / "server.log", "ab"),  # noqa: SIM115
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with self.admin():
                    return
            except psycopg.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (self.root / "server.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"PostgreSQL did not start:\n{log}") from None
                time.sleep(0.1)

    def make_template(self) -> None:
        from omnitui.store.db import upgrade

        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
        upgrade(self.url(TEMPLATE))

    def new_database(self) -> str:
        name = f"t{os.getpid()}_{next(_counter)}"
        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY")
        return name

    def empty_database(self, name: str) -> str:
        """`name` made again with no tables, as a new server's database; its URL."""
        with self.admin() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name} TEMPLATE template0")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with contextlib.suppress(psycopg.Error), self.admin() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
            if self.process.poll() is None:
                self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)


def start_cluster(attempts: int = 3) -> Cluster:
    """A running cluster of this process's own (each pytest-xdist worker starts one). A port
    found free can be taken by another worker's server before ours binds it: then again, on
    another port."""
    bindir = pg_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql).")
    owner = "postgres" if os.geteuid() == 0 else None
    for attempt in range(1, attempts + 1):
        root = Path(tempfile.mkdtemp(prefix="omnitui-pg-"))
        if owner:
            shutil.chown(root, owner)
        cluster = Cluster(root=root, port=_free_port(), owner=owner, bindir=bindir)
        try:
            cluster.start()
        except RuntimeError:
            cluster.stop()
            if attempt == attempts:
                raise
            continue
        return cluster
    raise AssertionError("unreachable")
