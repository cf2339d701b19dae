"""Time helpers: the store keeps UTC epoch seconds; people read local times."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def to_epoch(value: datetime | None) -> float | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def from_epoch(value: float | None, tz: tzinfo | None = None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value, tz or UTC)


def iso(value: float | None) -> str | None:
    dt = from_epoch(value)
    return None if dt is None else dt.isoformat(timespec="seconds").replace("+00:00", "Z")
