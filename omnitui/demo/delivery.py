"""Start the demo shop's local mail and Bot API servers and describe them as config channels.

Why channels named "mail" and "bot": the demo's stored conversations (tui/demo.py) came in
through channels of those names, so replies to them leave through these servers.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from omnitui.demo.bot_api import DemoBotApi
from omnitui.demo.mailbox import DemoMail

SHOP_ADDRESS = "support@demo-shop.localhost"


class LocalDelivery:
    """Both servers, writing into `folder`/mail and `folder`/telegram."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.mail = DemoMail(folder / "mail", "support", secrets.token_hex(8))
        # a token of Telegram's shape (bot id:secret), fresh for each demo
        self.bot = DemoBotApi(folder / "telegram", f"1000001:{secrets.token_urlsafe(24)}")

    def start(self) -> LocalDelivery:
        self.mail.start()
        try:
            self.bot.start()
        except BaseException:
            self.mail.stop()
            raise
        return self

    def stop(self) -> None:
        self.bot.stop()
        self.mail.stop()

    def config_toml(self) -> str:
        """The `[channels.mail]` and `[channels.bot]` tables for the demo's config file."""
        return (_table("channels.mail", self.mail.config(SHOP_ADDRESS))
                + _table("channels.bot", self.bot.config()))

    def notice(self) -> str:
        return (f"Demo replies by email and Telegram are delivered to {self.folder}/mail "
                f"and {self.folder}/telegram.")


def _table(name: str, values: dict[str, Any]) -> str:
    """A TOML table; JSON's string and number syntax is valid TOML for these values."""
    lines = [f"\n[{name}]"]
    for key, value in values.items():
        lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"
