"""Business hours: when the shop is open, and clocks that only tick while it is.

SLA targets are promises about working time ("email within the hour" means an hour of the shop's
hours), so everything here measures business time. The weekly schedule is local wall-clock time
in one zone and holidays close whole local dates; all arithmetic runs in UTC, so a DST change can
neither lose nor invent an hour. Pure: aware datetimes in, aware datetimes out, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_SECONDS = 24 * 3600
SPECIAL_KEYS = ("holidays", "timezone")

_DURATION = re.compile(
    r"(?:(?P<d>\d+)\s*d)?\s*(?:(?P<h>\d+)\s*h)?\s*(?:(?P<m>\d+)\s*m)?\s*(?:(?P<s>\d+)\s*s)?",
    re.IGNORECASE,
)
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_CACHE_DAYS = 4096

Range = tuple[int, int]  # seconds after local midnight, start < end <= DAY_SECONDS
Interval = tuple[datetime, datetime]  # UTC, half-open [start, end)


def parse_duration(text: str) -> timedelta:
    """Read "90s", "2m", "1h30m", "2d": the one duration syntax of the config and the CLI."""
    if not isinstance(text, str):
        raise ValueError(f'A duration must be text like "15m", not {type(text).__name__}.')
    match = _DURATION.fullmatch(text.strip())
    if not text.strip() or match is None:
        raise ValueError(
            f'"{text}" is not a duration; write whole numbers with units d, h, m, s, '
            'like "90s", "15m", "1h30m" or "2d".'
        )
    parts = {unit: int(value) for unit, value in match.groupdict(default="0").items()}
    return timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"])


def _utc(at: datetime, name: str = "time") -> datetime:
    """Refuse naive datetimes: guessing their zone is how an SLA silently shifts by hours."""
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"The {name} must be a timezone-aware datetime, got {at!r}.")
    return at.astimezone(UTC)


def _zone(name: Any, key: str) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise ValueError(f"'{key}' must be a time zone name such as \"Europe/Warsaw\".")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"'{key}' is {name!r}, which is not a known time zone (try \"Europe/Warsaw\")."
        ) from None


def _parse_days(key: str) -> list[int]:
    """A key names one day ("sat") or a run of days ("mon-fri", "fri-mon" wraps)."""
    names = key.strip().lower().split("-")
    if len(names) in (1, 2) and all(n in DAYS for n in names):
        first, last = DAYS.index(names[0]), DAYS.index(names[-1])
        return [(first + i) % 7 for i in range((last - first) % 7 + 1)]
    raise ValueError(
        f"Unknown key '{key}' in [hours]; use day names such as \"mon-fri\" or \"sat\", "
        "\"holidays\" or \"timezone\"."
    )


def _parse_clock(key: str, text: str) -> int:
    match = _CLOCK.fullmatch(text.strip())
    if match is not None:
        hour, minute = int(match[1]), int(match[2])
        if (hour < 24 and minute < 60) or (hour == 24 and minute == 0):
            return hour * 3600 + minute * 60
    raise ValueError(f"'{key}' has {text.strip()!r}, which is not a time of day like \"09:00\".")


def _parse_ranges(key: str, value: Any) -> list[Range]:
    """Read "09:00-12:00,13:00-18:00" or "closed"; an end before the start runs past midnight."""
    hint = '"09:00-18:00", "09:00-12:00,13:00-18:00" or "closed"'
    if not isinstance(value, str):
        raise ValueError(f"'{key}' must be text like {hint}, not {type(value).__name__}.")
    if value.strip().lower() == "closed":
        return []
    ranges: list[Range] = []
    for part in value.split(","):
        ends = part.split("-")
        if len(ends) != 2:
            raise ValueError(f"'{key}' has {part.strip()!r}; write ranges like {hint}.")
        start, end = _parse_clock(key, ends[0]), _parse_clock(key, ends[1])
        if start == DAY_SECONDS:
            raise ValueError(f"'{key}' has a range starting at 24:00; start it at 00:00.")
        if start == end:
            raise ValueError(f"'{key}' has {part.strip()!r}, which is empty; use \"closed\".")
        ranges.append((start, end))
    return ranges


def _parse_holidays(value: Any) -> frozenset[date]:
    """Dates as "2026-12-25" strings or TOML dates; "2026-12-24..2026-12-31" closes a run."""
    if not isinstance(value, list):
        raise ValueError("'holidays' must be a list of dates like [\"2026-12-25\"].")
    days: set[date] = set()
    for item in value:
        if isinstance(item, date) and not isinstance(item, datetime):
            days.add(item)
            continue
        text = item.strip() if isinstance(item, str) else ""
        try:
            first_text, _, last_text = text.partition("..")
            first = date.fromisoformat(first_text.strip())
            last = date.fromisoformat(last_text.strip()) if last_text else first
        except ValueError:
            raise ValueError(
                f"'holidays' has {item!r}, which is not a date like \"2026-12-25\" "
                "or a run like \"2026-12-24..2026-12-26\"."
            ) from None
        if last < first:
            raise ValueError(f"'holidays' has {item!r}, which ends before it starts.")
        days.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    return frozenset(days)


def _merge(ranges: list[Range]) -> tuple[Range, ...]:
    merged: list[Range] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


class BusinessHours:
    """A weekly schedule plus holidays in one zone; answers "open?" and counts open time."""

    __slots__ = ("_always", "_cache", "_holidays", "_max_closed_run", "_week", "tz")

    def __init__(
        self,
        week: Mapping[int, list[Range]] | None = None,
        holidays: frozenset[date] = frozenset(),
        tz: ZoneInfo | None = None,
    ) -> None:
        """`week` maps weekday (0 = Monday) to local ranges; None means open around the clock."""
        full = {day: [(0, DAY_SECONDS)] for day in range(7)}
        source = full if week is None else week
        self._week: tuple[tuple[Range, ...], ...] = tuple(
            _merge(list(source.get(day, []))) for day in range(7)
        )
        if not any(self._week):
            raise ValueError("[hours] leaves every day closed, so no target could ever be met.")
        self._holidays = holidays
        self.tz = tz or ZoneInfo("UTC")
        self._always = not holidays and all(r == ((0, DAY_SECONDS),) for r in self._week)
        # A closed stretch can be at most a week plus every holiday; beyond that is a bug.
        self._max_closed_run = 8 + len(holidays)
        self._cache: dict[date, tuple[Interval, ...]] = {}

    @classmethod
    def always_open(cls, timezone: str = "UTC") -> BusinessHours:
        """24/7: what a shop without an [hours] table gets."""
        return cls(None, frozenset(), _zone(timezone, "timezone"))

    @classmethod
    def from_config(cls, hours: Mapping[str, Any], timezone: str) -> BusinessHours:
        """Build from the TOML [hours] table; errors name the offending key."""
        tz = _zone(hours.get("timezone", timezone), "timezone")
        holidays = _parse_holidays(hours.get("holidays", []))
        day_keys = [key for key in hours if key not in SPECIAL_KEYS]
        if not day_keys:
            return cls(None, holidays, tz)
        week: dict[int, list[Range]] = {day: [] for day in range(7)}
        owner: dict[int, str] = {}
        for key in day_keys:
            days = _parse_days(key)
            ranges = _parse_ranges(key, hours[key])
            for day in days:
                if day in owner:
                    raise ValueError(
                        f"'{key}' and '{owner[day]}' both set {DAYS[day]}; give each day once."
                    )
                owner[day] = key
                for start, end in ranges:
                    if start < end:
                        week[day].append((start, end))
                        continue
                    week[day].append((start, DAY_SECONDS))  # overnight: spills into tomorrow
                    if end > 0:
                        week[(day + 1) % 7].append((0, end))
        return cls(week, holidays, tz)

    def __repr__(self) -> str:
        days = {DAYS[d]: r for d, r in enumerate(self._week) if r}
        return f"BusinessHours({days}, holidays={len(self._holidays)}, tz={self.tz.key!r})"

    # -- the day table ------------------------------------------------------------------------

    def _day(self, day: date) -> tuple[Interval, ...]:
        """Open intervals of one local date, in UTC; cached because SLA replays ask repeatedly."""
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        intervals: list[Interval] = []
        if day not in self._holidays:
            # Wall-clock arithmetic on purpose: 09:00 is 09:00 local on either side of DST;
            # a time inside the spring-forward gap resolves to the first instant after it.
            midnight = datetime(day.year, day.month, day.day, tzinfo=self.tz)
            for start, end in self._week[day.weekday()]:
                a = (midnight + timedelta(seconds=start)).astimezone(UTC)
                b = (midnight + timedelta(seconds=end)).astimezone(UTC)
                if intervals:
                    a = max(a, intervals[-1][1])
                if b > a:
                    intervals.append((a, b))
        if len(self._cache) >= _CACHE_DAYS:
            self._cache.clear()
        result = tuple(intervals)
        self._cache[day] = result
        return result

    def _open_after(self, at: datetime) -> Iterator[Interval]:
        """Open intervals ending after UTC `at`, clipped to start no earlier than it; endless."""
        day = at.astimezone(self.tz).date()
        closed_run = 0
        while True:
            found = False
            for a, b in self._day(day):
                if b > at:
                    found = True
                    yield max(a, at), b
            closed_run = 0 if found else closed_run + 1
            if closed_run > self._max_closed_run:  # pragma: no cover - guarded by __init__
                raise RuntimeError("Business hours never open again; this is a bug.")
            day += timedelta(days=1)

    # -- questions ----------------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        """Whether the shop is open at `at` (chat `online`, after-hours replies)."""
        moment = _utc(at)
        if self._always:
            return True
        local_day = moment.astimezone(self.tz).date()
        return any(a <= moment < b for a, b in self._day(local_day))

    def next_open(self, at: datetime) -> datetime:
        """`at` itself when open, else the next opening; in `at`'s zone."""
        moment = _utc(at)
        start, _ = next(self._open_after(moment))
        return start.astimezone(at.tzinfo)

    def business_time(self, start: datetime, end: datetime) -> timedelta:
        """Open time between two instants, exact to the microsecond; negative if reversed."""
        a, b = _utc(start, "start"), _utc(end, "end")
        if b < a:
            return -self.business_time(end, start)
        if self._always:
            return b - a
        total = timedelta(0)
        for open_at, close_at in self._open_after(a):
            if open_at >= b:
                break
            total += min(close_at, b) - open_at
        return total

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Open seconds between two instants: how long a customer waited in the shop's time."""
        return self.business_time(start, end).total_seconds()

    def add_business(self, start: datetime, delta: timedelta) -> datetime:
        """The instant when `delta` of open time has passed since `start`: an SLA due time.

        A target that runs out exactly at closing time is due at closing time, not at the next
        opening. Durations are open time, so "1d" is 24 business hours, not one working day.
        """
        moment = _utc(start, "start")
        if delta < timedelta(0):
            raise ValueError(f"Cannot add a negative business duration ({delta}).")
        if delta == timedelta(0):
            return start
        if self._always:
            return (moment + delta).astimezone(start.tzinfo)
        remaining = delta
        for open_at, close_at in self._open_after(moment):
            span = close_at - open_at
            if span >= remaining:
                return (open_at + remaining).astimezone(start.tzinfo)
            remaining -= span
        raise AssertionError("unreachable")  # pragma: no cover
