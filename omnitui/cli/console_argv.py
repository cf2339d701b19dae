"""A command line that only opens the console, read without Typer.

Agents start the console many times a day. Through Typer that start imported every command
module to register it (~0.2 s) and built the command's parameters with pydantic (~0.1 s), before
anything was drawn. A command line that can only mean the console (`omnitui [global options]`
or `omnitui [global options] console [--agent A]`) is read here instead, into the same state
the Typer callback would set. Anything else (another command, `--help`, an unknown option, a
missing value, a typo) is left to the full CLI, so its messages stay exactly the full CLI's.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# The root callback's options (cli/app.py `root`); each takes one value.
_GLOBAL_OPTIONS = ("--config", "--data-dir", "--agent")
# What the `console` command itself accepts (cli/console_cmd.py `console`).
_CONSOLE_OPTIONS = ("--agent",)


@dataclass(frozen=True)
class ConsoleLine:
    """What a console-only command line says: the root options and the console's --agent."""

    config: Path | None
    data_dir: Path | None
    agent: str | None
    console_agent: str | None


def console_line(argv: Sequence[str]) -> ConsoleLine | None:
    """The console's options when `argv` (without the program name) only opens the console;
    None when the full CLI has to read it."""
    global_values, rest = _read_options(list(argv), _GLOBAL_OPTIONS)
    if rest is None:
        return None
    console_values: dict[str, str] = {}
    if rest:
        if rest[0] != "console":
            return None
        console_values, rest = _read_options(rest[1:], _CONSOLE_OPTIONS)
        if rest != []:
            return None
    config = global_values.get("--config")
    if config is None:  # Click reads the variable only when it is set and not empty
        config = os.environ.get("OMNITUI_CONFIG") or None
    data_dir = global_values.get("--data-dir")
    return ConsoleLine(config=Path(config) if config is not None else None,
                       data_dir=Path(data_dir) if data_dir is not None else None,
                       agent=global_values.get("--agent"),
                       console_agent=console_values.get("--agent"))


def _read_options(args: list[str], names: tuple[str, ...]) -> tuple[dict[str, str],
                                                                     list[str] | None]:
    """The leading `names` options (`--name value` or `--name=value`; the last one wins, as in
    Click) and the arguments after them; None for the rest when an option is not one of them or
    lacks its value."""
    values: dict[str, str] = {}
    while args and args[0].startswith("-"):
        head = args[0]
        name, equals, value = head.partition("=")
        if name not in names:
            return values, None
        if equals:
            values[name] = value
            args = args[1:]
        elif len(args) >= 2:
            values[name] = args[1]
            args = args[2:]
        else:
            return values, None
    return values, args
