"""The console inbox's config: `[inbox]` (default view, notices, bell) and `[views.NAME]`.

Kept beside config.py, which calls `parse_inbox` and turns its `ValueError` (already one
sentence naming the key and the file) into a `ConfigError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCOPES = ("needs_reply", "mine", "unassigned", "all")
STATUSES = ("active", "open", "pending", "snoozed", "resolved", "any")
BUILT_IN_VIEWS = SCOPES  # the header's views, by the name `default_view` takes
NOTICE_KEYS = ("notify_new", "notify_reply", "notify_breach", "bell")


@dataclass(frozen=True)
class ViewSettings:
    """A view of the shop's own: a title and a filter of the inbox's fields."""

    name: str
    title: str
    scope: str = "all"
    status: str = "active"
    channel: str | None = None
    label: str | None = None
    unread: bool = False
    failed: bool = False


@dataclass(frozen=True)
class InboxSettings:
    default_view: str = "needs_reply"
    notify_new: bool = True  # a toast when a new conversation arrives with nobody on it
    notify_reply: bool = True  # a toast when a customer writes in one of mine
    notify_breach: bool = True  # a toast when a response target passes (mine or nobody's)
    bell: bool = False  # ring the terminal bell with those toasts (another tmux window hears)
    views: tuple[ViewSettings, ...] = field(default_factory=tuple)


_VIEW_TYPES: dict[str, tuple[type, ...]] = {
    "title": (str,), "scope": (str,), "status": (str,), "channel": (str,), "label": (str,),
    "unread": (bool,), "failed": (bool,)}


def parse_inbox(inbox: Any, views: Any, where: str, channels: set[str]) -> InboxSettings:
    """Validate `[inbox]` and `[views.*]`; raises ValueError with one sentence naming the key."""
    if not isinstance(inbox, dict):
        raise ValueError(f"'inbox' in {where} must be a table.")
    if not isinstance(views, dict):
        raise ValueError(f"'views' in {where} must be a table.")
    parsed = tuple(_view(name, table, where, channels) for name, table in views.items())
    for key, value in inbox.items():
        if key not in ("default_view", *NOTICE_KEYS):
            raise ValueError(f"Unknown key 'inbox.{key}' in {where}.")
        if key in NOTICE_KEYS and not isinstance(value, bool):
            raise ValueError(f"'inbox.{key}' in {where} must be true or false.")
    default = inbox.get("default_view", "needs_reply")
    names = [*BUILT_IN_VIEWS, *(v.name for v in parsed)]
    if default not in names:
        raise ValueError(f"'inbox.default_view' in {where} must be one of "
                         f"{', '.join(names)}, not {default!r}.")
    return InboxSettings(default_view=default, views=parsed,
                         **{k: inbox[k] for k in NOTICE_KEYS if k in inbox})


def _view(name: str, table: Any, where: str, channels: set[str]) -> ViewSettings:
    prefix = f"views.{name}"
    if not isinstance(table, dict):
        raise ValueError(f"'{prefix}' in {where} must be a table of filters.")
    if name in BUILT_IN_VIEWS:
        raise ValueError(f"'{prefix}' in {where} has the name of a built-in view; pick another.")
    for key, value in table.items():
        if key not in _VIEW_TYPES:
            raise ValueError(f"Unknown key '{prefix}.{key}' in {where}; a view filters by "
                             f"{', '.join(k for k in _VIEW_TYPES if k != 'title')}.")
        if not isinstance(value, _VIEW_TYPES[key]):
            kind = "true or false" if _VIEW_TYPES[key] == (bool,) else "a string"
            raise ValueError(f"'{prefix}.{key}' in {where} must be {kind}.")
    _one_of(table, "scope", SCOPES, prefix, where)
    _one_of(table, "status", STATUSES, prefix, where)
    channel = table.get("channel")
    if channel is not None and channel not in channels:
        known = ", ".join(sorted(channels)) or "none are configured"
        raise ValueError(f"'{prefix}.channel' in {where} names no channel of [channels] "
                         f"({known}): {channel!r}.")
    label = table.get("label")
    if label is not None and not label.strip():
        raise ValueError(f"'{prefix}.label' in {where} must not be empty.")
    return ViewSettings(name=name, title=table.get("title") or name,
                        scope=table.get("scope", "all"), status=table.get("status", "active"),
                        channel=channel, label=label.strip().lower() if label else None,
                        unread=table.get("unread", False), failed=table.get("failed", False))


def _one_of(table: dict[str, Any], key: str, allowed: tuple[str, ...], prefix: str,
            where: str) -> None:
    if key in table and table[key] not in allowed:
        raise ValueError(f"'{prefix}.{key}' in {where} must be one of {', '.join(allowed)}, "
                         f"not {table[key]!r}.")
