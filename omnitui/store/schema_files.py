"""The newest schema revision, read from the migration files' `revision` lines.

Asking Alembic (`ScriptDirectory`) imports it and SQLAlchemy and every migration module: about
0.6 s, which every command and the console paid on each start just to learn that the store was
already up to date. Reading the lines gives the same answer in a millisecond; Alembic is
imported only when there is something to upgrade.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

_REVISION = re.compile(r"""^(down_revision|revision)\s*=\s*['"]?([^'"\s]+)['"]?""", re.M)
VERSIONS = Path(__file__).parent / "migrations" / "versions"


@lru_cache(maxsize=1)
def files_head() -> str | None:
    """The one revision no other revision names as its parent (None if there is not exactly
    one: then ask Alembic)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for file in VERSIONS.glob("*.py"):
        for key, value in _REVISION.findall(file.read_text(encoding="utf-8")):
            (revisions if key == "revision" else parents).add(value)
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 else None
