"""`[console] files_dir` and `open_command`: where an agent's saved files go, what opens one.

`files_dir` may hold `{agent}` (one config serves every agent of a server). Its default is
the folder the README's SFTP login is confined to on a shared server, so a file saved in the
console is the file the agent downloads from their own computer, and `~/omnitui-files`
elsewhere. `open_command` is split like a shell line but run without a shell; `{path}` is one
argument whatever the file's name holds.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SHARED_FILES_ROOT = Path("/var/lib/omnitui-files")  # root-owned: sshd's ChrootDirectory
SHARED_FILES_DIR = str(SHARED_FILES_ROOT / "{agent}" / "files")
PRIVATE_FILES_DIR = "~/omnitui-files"


@dataclass(frozen=True)
class ConsoleFiles:
    files_dir: str | None = None  # None: SHARED_FILES_DIR or PRIVATE_FILES_DIR by install
    open_command: tuple[str, ...] = ()  # argv with "{path}"; empty: not set

    def folder(self, agent: str, *, shared: bool) -> Path:
        pattern = self.files_dir or (SHARED_FILES_DIR if shared else PRIVATE_FILES_DIR)
        return Path(pattern.replace("{agent}", agent)).expanduser()

    def open_argv(self, path: Path) -> list[str]:
        """The viewer's argv for one file; the path is a whole argument, never split."""
        argv = [part.replace("{path}", str(path)) for part in self.open_command]
        return argv if "{path}" in " ".join(self.open_command) else [*argv, str(path)]


def parse_console_files(console: dict[str, Any], where: str) -> ConsoleFiles:
    """Validate the two keys; errors are one sentence naming the key (ValueError)."""
    files_dir = console.get("files_dir")
    if files_dir is not None:
        if not isinstance(files_dir, str) or not files_dir.strip():
            raise ValueError(f"'console.files_dir' in {where} must be a folder, such as "
                             "\"~/omnitui-files\" or \"/srv/files/{agent}\".")
        stray = files_dir.replace("{agent}", "")
        if "{" in stray or "}" in stray:
            raise ValueError(f"'console.files_dir' in {where} may hold only the placeholder "
                             "{agent}.")
        if not Path(files_dir).expanduser().is_absolute():
            raise ValueError(f"'console.files_dir' in {where} must be an absolute path (or "
                             "start with ~).")
    command = console.get("open_command")
    argv: tuple[str, ...] = ()
    if command is not None:
        if not isinstance(command, str):
            raise ValueError(f"'console.open_command' in {where} must be a string such as "
                             "\"xdg-open {path}\".")
        try:
            argv = tuple(shlex.split(command))
        except ValueError as exc:
            raise ValueError(f"'console.open_command' in {where} cannot be read as a command: "
                             f"{exc}.") from None
        if not argv or argv[0] == "{path}":
            raise ValueError(f"'console.open_command' in {where} must name a program, such as "
                             "\"xdg-open {path}\".")
    return ConsoleFiles(files_dir, argv)
