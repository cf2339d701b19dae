"""Business hours: parsing, open/closed, business time and due times, DST in Europe/Warsaw."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnitui.core.hours import BusinessHours, parse_duration

WAW = ZoneInfo("Europe/Warsaw")
SHOP = {
    "mon-fri": "09:00-18:00",
    "sat": "10:00-14:00",
    "sun": "closed",
    "holidays": ["2026-12-25", "2026-01-01"],
}


def waw(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=WAW)


@pytest.fixture(scope="module")
def shop() -> BusinessHours:
    return BusinessHours.from_config(SHOP, "Europe/Warsaw")


# -- parse_duration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("2m", timedelta(minutes=2)),
        ("1h", timedelta(hours=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("2d", timedelta(days=2)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        (" 15M ", timedelta(minutes=15)),
        ("0s", timedelta(0)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "  ", "15", "m", "1.5h", "-1h", "30m1h", "1w", "1h1h", "soon"]
)
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_parse_duration_rejects_non_text() -> None:
    with pytest.raises(ValueError, match="must be text"):
        parse_duration(15)  # type: ignore[arg-type]


# -- from_config -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"weekdays": "09:00-18:00"}, "Unknown key 'weekdays'"),
        ({"mon-funday": "09:00-18:00"}, "Unknown key 'mon-funday'"),
        ({"mon": "9-18"}, "'mon' has '9'"),
        ({"mon": "09:00"}, "'mon' has '09:00'"),
        ({"tue": "25:00-26:00"}, "'tue' has '25:00'"),
        ({"tue": "09:60-10:00"}, "'tue' has '09:60'"),
        ({"wed": "09:00-09:00"}, "'wed' has '09:00-09:00', which is empty"),
        ({"thu": "24:00-02:00"}, "'thu' has a range starting at 24:00"),
        ({"fri": 9}, "'fri' must be text"),
        ({"mon-fri": "09:00-18:00", "fri": "09:00-16:00"}, "'fri' and 'mon-fri' both set fri"),
        ({"holidays": "2026-12-25"}, "'holidays' must be a list"),
        ({"holidays": ["25.12.2026"]}, "'holidays' has '25.12.2026'"),
        ({"holidays": ["2026-12-31..2026-12-24"]}, "ends before it starts"),
        ({"timezone": "Mars/Olympus"}, "'timezone' is 'Mars/Olympus'"),
        ({"mon-sun": "closed"}, "every day closed"),
    ],
)
def test_from_config_errors_name_the_key(table: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        BusinessHours.from_config(table, "Europe/Warsaw")


def test_bad_global_timezone() -> None:
    with pytest.raises(ValueError, match="not a known time zone"):
        BusinessHours.from_config({}, "Nowhere/Town")


def test_empty_table_is_open_around_the_clock() -> None:
    hours = BusinessHours.from_config({}, "Europe/Warsaw")
    start = waw(2026, 12, 25, 3)  # a Friday night on Christmas: still open
    assert hours.is_open(start)
    assert hours.add_business(start, timedelta(hours=5)) == start + timedelta(hours=5)
    assert hours.business_seconds(start, waw(2026, 12, 26, 3)) == 24 * 3600


def test_holidays_alone_close_only_holidays() -> None:
    hours = BusinessHours.from_config(
        {"holidays": ["2026-12-24..2026-12-26"]}, "Europe/Warsaw"
    )
    assert hours.is_open(waw(2026, 12, 23, 23, 59))
    for day in (24, 25, 26):
        assert not hours.is_open(waw(2026, 12, day, 12))
    assert hours.next_open(waw(2026, 12, 24, 8)) == waw(2026, 12, 27)


def test_timezone_key_overrides_and_toml_dates_work() -> None:
    from datetime import date

    hours = BusinessHours.from_config(
        {"mon-fri": "09:00-17:00", "timezone": "America/New_York", "holidays": [date(2026, 7, 3)]},
        "Europe/Warsaw",
    )
    ny = ZoneInfo("America/New_York")
    assert hours.tz.key == "America/New_York"
    assert hours.is_open(datetime(2026, 7, 2, 9, 0, tzinfo=ny))
    assert not hours.is_open(datetime(2026, 7, 2, 17, 0, tzinfo=ny))
    assert not hours.is_open(datetime(2026, 7, 3, 12, 0, tzinfo=ny))


def test_naive_datetimes_are_refused(shop: BusinessHours) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        shop.is_open(datetime(2026, 5, 4, 10))
    with pytest.raises(ValueError, match="timezone-aware"):
        shop.add_business(datetime(2026, 5, 4, 10), timedelta(hours=1))


def test_negative_delta_is_refused(shop: BusinessHours) -> None:
    with pytest.raises(ValueError, match="negative"):
        shop.add_business(waw(2026, 5, 4, 10), timedelta(seconds=-1))


# -- is_open / next_open -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "is_open", "next_open"),
    [
        (waw(2026, 5, 4, 8, 59, 59), False, waw(2026, 5, 4, 9)),  # Monday before opening
        (waw(2026, 5, 4, 9), True, waw(2026, 5, 4, 9)),  # opening instant is open
        (waw(2026, 5, 4, 17, 59), True, waw(2026, 5, 4, 17, 59)),
        (waw(2026, 5, 4, 18), False, waw(2026, 5, 5, 9)),  # closing instant is closed
        (waw(2026, 5, 8, 19), False, waw(2026, 5, 9, 10)),  # Friday evening -> Saturday 10:00
        (waw(2026, 5, 9, 14), False, waw(2026, 5, 11, 9)),  # Saturday after 14:00 -> Monday
        (waw(2026, 5, 10, 12), False, waw(2026, 5, 11, 9)),  # Sunday
        (waw(2026, 12, 24, 18, 30), False, waw(2026, 12, 26, 10)),  # Christmas Friday closed
        (waw(2026, 12, 25, 11), False, waw(2026, 12, 26, 10)),
        (waw(2025, 12, 31, 20), False, waw(2026, 1, 2, 9)),  # New Year's Day closed
    ],
)
def test_is_open_and_next_open(
    shop: BusinessHours, at: datetime, is_open: bool, next_open: datetime
) -> None:
    assert shop.is_open(at) is is_open
    assert shop.next_open(at) == next_open


def test_next_open_keeps_the_callers_zone(shop: BusinessHours) -> None:
    at = datetime(2026, 5, 4, 5, 0, tzinfo=UTC)  # 07:00 in Warsaw
    result = shop.next_open(at)
    assert result.tzinfo is UTC
    assert result == waw(2026, 5, 4, 9)


def test_split_day_and_overnight_ranges() -> None:
    hours = BusinessHours.from_config(
        {"mon-fri": "09:00-12:00,13:00-18:00", "sat": "22:00-02:00"}, "Europe/Warsaw"
    )
    assert not hours.is_open(waw(2026, 5, 4, 12, 30))  # lunch
    assert hours.next_open(waw(2026, 5, 4, 12, 30)) == waw(2026, 5, 4, 13)
    assert hours.business_seconds(waw(2026, 5, 4, 8), waw(2026, 5, 4, 20)) == 8 * 3600
    assert hours.is_open(waw(2026, 5, 9, 23))  # Saturday night
    assert hours.is_open(waw(2026, 5, 10, 1, 59))  # spills into Sunday
    assert not hours.is_open(waw(2026, 5, 10, 2))
    assert hours.add_business(waw(2026, 5, 9, 21), timedelta(hours=3)) == waw(2026, 5, 10, 1)


def test_overlapping_ranges_merge() -> None:
    hours = BusinessHours.from_config({"mon": "09:00-12:00,11:00-14:00"}, "UTC")
    start = datetime(2026, 5, 4, tzinfo=UTC)
    assert hours.business_seconds(start, start + timedelta(days=1)) == 5 * 3600


# -- business time and due times ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (waw(2026, 5, 4, 10), waw(2026, 5, 4, 11, 30), 1.5),
        (waw(2026, 5, 4, 7), waw(2026, 5, 4, 20), 9),
        (waw(2026, 5, 8, 17), waw(2026, 5, 11, 10), 1 + 4 + 1),  # Fri -> Sat -> Mon
        (waw(2026, 5, 9, 15), waw(2026, 5, 10, 23), 0),  # Saturday after close, Sunday
        (waw(2026, 12, 24, 17), waw(2026, 12, 28, 10), 1 + 4 + 1),  # Christmas Friday
        (waw(2026, 5, 4, 10), waw(2026, 5, 4, 10), 0),
        (waw(2026, 5, 4, 11), waw(2026, 5, 4, 10), -1),  # reversed is negative
        (waw(2026, 5, 4, 0), waw(2026, 5, 11, 0), 5 * 9 + 4),  # one full week
    ],
)
def test_business_seconds(
    shop: BusinessHours, start: datetime, end: datetime, hours: float
) -> None:
    assert shop.business_seconds(start, end) == hours * 3600


@pytest.mark.parametrize(
    ("start", "delta", "due"),
    [
        (waw(2026, 5, 4, 10), "2m", waw(2026, 5, 4, 10, 2)),
        (waw(2026, 5, 4, 17, 30), "30m", waw(2026, 5, 4, 18)),  # due at closing, not next day
        (waw(2026, 5, 4, 17, 30), "31m", waw(2026, 5, 5, 9, 1)),
        (waw(2026, 5, 4, 7), "1h", waw(2026, 5, 4, 10)),  # before opening: clock starts at 9
        (waw(2026, 5, 8, 17, 30), "1h", waw(2026, 5, 9, 10, 30)),  # Friday -> Saturday
        (waw(2026, 5, 9, 13), "2h", waw(2026, 5, 11, 10)),  # Saturday -> Monday
        (waw(2026, 12, 24, 17, 30), "1h", waw(2026, 12, 26, 10, 30)),  # over Christmas
        (waw(2026, 5, 4, 9), "1d", waw(2026, 5, 6, 15)),  # 24 business hours
        (waw(2026, 5, 10, 12), "0s", waw(2026, 5, 10, 12)),  # nothing to wait for
    ],
)
def test_add_business(shop: BusinessHours, start: datetime, delta: str, due: datetime) -> None:
    assert shop.add_business(start, parse_duration(delta)) == due


# -- DST in Europe/Warsaw: 2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00 ------------------


def test_dst_days_in_a_24_7_shop() -> None:
    hours = BusinessHours.from_config({}, "Europe/Warsaw")
    assert hours.business_seconds(waw(2026, 3, 29), waw(2026, 3, 30)) == 23 * 3600
    assert hours.business_seconds(waw(2026, 10, 25), waw(2026, 10, 26)) == 25 * 3600
    due = hours.add_business(waw(2026, 3, 29, 1, 30), timedelta(hours=1))
    assert due == waw(2026, 3, 29, 3, 30)
    assert due.utcoffset() == timedelta(hours=2)


def test_dst_days_in_an_all_day_sunday_schedule() -> None:
    hours = BusinessHours.from_config({"sun": "00:00-24:00"}, "Europe/Warsaw")
    assert hours.business_seconds(waw(2026, 3, 28), waw(2026, 3, 31)) == 23 * 3600
    assert hours.business_seconds(waw(2026, 10, 24), waw(2026, 10, 27)) == 25 * 3600
    assert hours.add_business(waw(2026, 10, 24, 12), timedelta(hours=25)) == waw(2026, 10, 26)


@pytest.mark.parametrize(
    ("start", "delta", "due", "offset"),
    [
        # Friday before spring-forward: due Monday 09:30 summer time (07:30 UTC).
        (waw(2026, 3, 27, 17, 30), "1h", waw(2026, 3, 30, 9, 30), 2),
        # Friday before fall-back: due Monday 09:30 winter time (08:30 UTC).
        (waw(2026, 10, 23, 17, 30), "1h", waw(2026, 10, 26, 9, 30), 1),
    ],
)
def test_dst_weekend_due_times(start: datetime, delta: str, due: datetime, offset: int) -> None:
    weekdays = BusinessHours.from_config({"mon-fri": "09:00-18:00"}, "Europe/Warsaw")
    result = weekdays.add_business(start, parse_duration(delta))
    assert result == due
    assert result.utcoffset() == timedelta(hours=offset)
    assert result.astimezone(UTC).hour == 9 - offset
    assert weekdays.business_seconds(start, result) == 3600
    assert weekdays.business_seconds(start, due + timedelta(minutes=30)) == 5400


def test_opening_inside_the_spring_gap() -> None:
    """A shop opening at 02:30 opens at the first real instant after the gap, 03:30 CEST."""
    hours = BusinessHours.from_config({"sun": "02:30-05:00"}, "Europe/Warsaw")
    assert hours.next_open(waw(2026, 3, 29, 0)) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert hours.business_seconds(waw(2026, 3, 29), waw(2026, 3, 30)) == 1.5 * 3600


def test_day_stepping_is_fast(shop: BusinessHours) -> None:
    start = waw(2026, 1, 1)
    began = time.perf_counter()
    due = shop.add_business(start, timedelta(hours=49 * 52 * 5))  # about five years
    assert shop.business_time(start, due) == timedelta(hours=49 * 52 * 5)
    assert time.perf_counter() - began < 2.0


# -- properties --------------------------------------------------------------------------------

INSTANTS = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
DELTAS = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20))
SCHEDULES = st.sampled_from(
    [
        SHOP,
        {},
        {"mon-fri": "09:00-12:00,13:00-18:00", "sat": "22:00-02:00", "holidays": ["2026-12-25"]},
        {"sun": "02:30-05:00"},
        {"fri-mon": "00:00-24:00", "wed": "23:59-00:01"},
    ]
)


@settings(max_examples=300, deadline=None)
@given(schedule=SCHEDULES, start=INSTANTS, delta=DELTAS)
def test_add_business_round_trips(schedule: dict, start: datetime, delta: timedelta) -> None:
    hours = BusinessHours.from_config(schedule, "Europe/Warsaw")
    due = hours.add_business(start, delta)
    assert due >= start
    assert hours.business_time(start, due) == delta
    if delta > timedelta(0):
        # Earliest such instant: the last microsecond before it was open and counted.
        assert hours.business_time(start, due - timedelta(microseconds=1)) < delta
        assert hours.is_open(due - timedelta(microseconds=1))


@settings(max_examples=300, deadline=None)
@given(schedule=SCHEDULES, a=INSTANTS, ab_gap=DELTAS, bc_gap=DELTAS)
def test_business_time_is_additive_and_bounded(
    schedule: dict, a: datetime, ab_gap: timedelta, bc_gap: timedelta
) -> None:
    hours = BusinessHours.from_config(schedule, "Europe/Warsaw")
    b = a + ab_gap
    c = b + bc_gap
    ab, bc = hours.business_time(a, b), hours.business_time(b, c)
    assert ab + bc == hours.business_time(a, c)
    assert timedelta(0) <= ab <= b - a
    assert hours.business_time(b, a) == -ab


@settings(max_examples=300, deadline=None)
@given(schedule=SCHEDULES, at=INSTANTS)
def test_next_open_is_open_and_nothing_before_it(schedule: dict, at: datetime) -> None:
    hours = BusinessHours.from_config(schedule, "Europe/Warsaw")
    opening = hours.next_open(at)
    assert opening >= at
    assert hours.is_open(opening)
    assert hours.business_time(at, opening) == timedelta(0)
    assert hours.is_open(at) is (opening == at)
