"""`omnitui` and `omnitui console` open the console without Typer, reading what Typer would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import omnitui.cli.console_cmd
import omnitui.cli.console_start
from omnitui.cli.commands import app
from omnitui.cli.common import STATE
from omnitui.cli.console_argv import ConsoleLine, console_line

CONSOLE_LINES = [
    [],
    ["console"],
    ["--agent", "ben"],
    ["--agent=ben"],
    ["console", "--agent", "ben"],
    ["--agent", "anna", "console", "--agent", "ben"],
    ["--agent", "anna", "console"],
    ["--config", "shop.toml", "--data-dir", "/srv/shop", "console"],
    ["--config=shop.toml", "--agent", "olga", "--agent", "ben"],
]
OTHER_LINES = [
    ["--help"],
    ["console", "--help"],
    ["consle"],
    ["agent", "list"],
    ["--agent"],
    ["console", "--agent"],
    ["--verbose"],
    ["console", "extra"],
    ["--agent", "ben", "doctor"],
]


@pytest.mark.parametrize("argv", OTHER_LINES, ids=" ".join)
def test_anything_but_the_console_is_left_to_the_full_cli(argv: list[str]) -> None:
    assert console_line(argv) is None


@pytest.mark.parametrize("argv", CONSOLE_LINES, ids=lambda a: " ".join(a) or "(none)")
@pytest.mark.parametrize("config_env", [None, "from-env.toml"])
def test_a_console_line_reads_as_typer_reads_it(argv: list[str], config_env: str | None,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Through Typer (every command registered) and through `console_line`, the console opens
    with the same config, data dir and agent."""
    if config_env is None:
        monkeypatch.delenv("OMNITUI_CONFIG", raising=False)
    else:
        monkeypatch.setenv("OMNITUI_CONFIG", config_env)
    opened: list[tuple[Path | None, Path | None, str | None]] = []

    def record(agent: str | None) -> None:
        opened.append((STATE.config, STATE.data_dir, agent or STATE.agent))

    monkeypatch.setattr(omnitui.cli.console_start, "open_console", record)
    monkeypatch.setattr(omnitui.cli.console_cmd, "open_console", record)
    result = CliRunner().invoke(app, argv, prog_name="omnitui")
    assert result.exit_code == 0, result.output
    line = console_line(argv)
    assert isinstance(line, ConsoleLine)
    assert opened == [(line.config, line.data_dir, line.console_agent or line.agent)]


def test_the_console_command_starts_without_typer_and_says_errors_in_one_sentence(
        tmp_path: Path) -> None:
    """The start agents wait for imports neither Typer nor the other commands (with pydantic,
    ~0.3 s of each start); an unknown agent is still one sentence."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[omnitui]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    code = ("import atexit, sys\n"
            "atexit.register(lambda: print(sorted(m for m in ('typer', 'pydantic', "
            "'omnitui.cli.admin') if m in sys.modules)))\n"
            "sys.argv = ['omnitui', '--config', sys.argv[1], 'console', '--agent', 'nobody']\n"
            "from omnitui.cli import main\n"
            "main()\n")
    env = {k: v for k, v in os.environ.items() if k not in ("OMNITUI_CONFIG", "OMNITUI_AGENT")}
    subprocess.run([sys.executable, "-m", "omnitui", "--config", str(cfg), "init"], check=True,
                   capture_output=True, env=env, timeout=60)  # (a new store imports Alembic)
    proc = subprocess.run([sys.executable, "-c", code, str(cfg)], capture_output=True,
                          text=True, env=env, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr == ("Error: Unknown agent 'nobody'; add it with 'omnitui agent add "
                           "nobody'.\n")
    assert proc.stdout == "[]\n"
