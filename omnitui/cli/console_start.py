"""Opening the console from the command line: settings, data dir and agent checked first.

Typer-free (as cli/common.py), so `omnitui` and `omnitui console` start without importing it.
"""

from __future__ import annotations

import sys

from omnitui.cli.common import acting_agent, fail, settings


def open_console(agent: str | None) -> None:
    """Open the console on the configured data dir (creating the database on first use), as
    the agent the CLI would act as: an unknown or disabled agent is one sentence, no console.
    On PostgreSQL a helper process does those checks and reads the first screen while the
    console loads (cli/read_ahead.py)."""
    from omnitui.cli.read_ahead import ReadAhead
    from omnitui.file_access import data_dir_problem
    from omnitui.store.data_files import DataDirAccess
    from omnitui.store.db import Store

    s = settings()
    DataDirAccess.of(s.data_dir).make_dirs(s.data_dir)
    problem = data_dir_problem(s.data_dir)
    if problem:  # said before the screen is taken over, not as a traceback after it
        fail(problem)
    ahead = ReadAhead.start(s, agent)
    try:
        try:  # (Textual and the screens load while the helper reads)
            from omnitui.tui.app import run_console
        except ImportError as exc:
            unavailable: str | None = f"The console is not available: {exc}."
        else:
            unavailable = None
        first = ahead.result() if ahead is not None else None
    finally:
        if ahead is not None:
            ahead.close()
    store = Store(s.database) if first is not None else Store.open(s.database)
    try:
        who = first.agent if first is not None else acting_agent(store, agent)
        if not (sys.stdin.isatty() and sys.stdout.isatty()):  # sftp or a command over ssh
            fail("The console needs a terminal (ssh -t); files are copied over the SFTP login "
                 "instead (README: Files over SFTP).")
        if unavailable is not None:
            fail(unavailable)
    except BaseException:
        store.close()
        raise
    run_console(s, who.username, store=store, first_screen=first)  # (the console closes it)
