"""What kind of install this data dir is: one person's, or a server shared by a group.

A shared install (`omnitui init --shared-group G`, or `[omnitui] shared = true`) has a service
hub run by its own Unix user and agents who log in as themselves. There a console must never
start a hub of its own (it would create the hub's files owned by that agent), and the acting
agent is the logged-in Unix user. A one-person install keeps the embedded hub.
"""

from __future__ import annotations

from pathlib import Path

from omnitui.config import Settings
from omnitui.store.data_files import is_group_shared


def data_dir_is_group_shared(data_dir: Path) -> bool:
    """The mark `init --shared-group` leaves: a setgid, group-writable data dir."""
    return is_group_shared(data_dir)


def is_shared_install(settings: Settings) -> bool:
    """`[omnitui] shared` when set, else what the data dir says."""
    if settings.shared is not None:
        return settings.shared
    return data_dir_is_group_shared(settings.data_dir)
