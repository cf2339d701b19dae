"""Every command of `omnitui`, registered on the one Typer app by importing its module."""

from __future__ import annotations

from omnitui.cli import (  # noqa: F401  (importing registers the commands)
    admin,
    attachment_cmd,
    canned_cmd,
    channel_cmd,
    compose_cmd,
    console_cmd,
    conversations,
    migrate_store_cmd,
    people,
    recognition_cmd,
    report_cmd,
    signature_cmd,
)
from omnitui.cli.app import app

__all__ = ["app"]
