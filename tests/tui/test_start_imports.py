"""What the console's first screen imports: libraries it needs only later stay out of start-up."""

from __future__ import annotations

import json
import subprocess
import sys

LATER = ("ctypes", "bidi", "hashlib", "omnitui.core.attachments", "omnitui.store.files",
         "omnitui.tui.screens.conversation", "alembic", "omnitui.store.queries",
         "omnitui.tui.timeline_text", "omnitui.hub", "typer", "psycopg")


def test_the_inbox_starts_without_what_it_needs_only_later() -> None:
    """ctypes (the feed's inotify watch starts after the first paint), python-bidi (the first
    right-to-left text loads it), attachments and hashlib (a file is drawn in a timeline), the
    timeline's reads and rows, the embedded hub (started after the first paint), Typer (the
    console's command line is read without it) and the PostgreSQL driver (a store on a server
    is made before it connects, and a console's first screen is read ahead without it)."""
    code = ("import json, sys\n"
            "import omnitui.cli, omnitui.cli.console_start\n"
            "import omnitui.tui.app, omnitui.tui.screens.inbox, omnitui.tui.widgets.inbox_list\n"
            "import omnitui.cli.read_ahead, omnitui.first_screen\n"
            "from omnitui.store.db import Store\n"
            "Store('postgresql://omnitui@127.0.0.1:1/omnitui')\n"
            f"print(json.dumps([m for m in {list(LATER)!r} if m in sys.modules]))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert json.loads(done.stdout) == []
