"""The Telegram channel: a bot that confirms an update only after it is stored."""

from omnitui.channels.telegram.channel import TelegramChannel
from omnitui.channels.telegram.links import deep_link, start_token
from omnitui.channels.telegram.split import split_text, utf16_len

__all__ = ["TelegramChannel", "deep_link", "split_text", "start_token", "utf16_len"]
