"""SLA replay: due times, pauses, reopen and breaches, with time injected (no sleeping)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnitui.core.hours import BusinessHours
from omnitui.core.sla import (
    Activity,
    Breach,
    SlaPolicy,
    Targets,
    breaches,
    due_at,
    evaluate,
)

WAW = ZoneInfo("Europe/Warsaw")
HOURS = BusinessHours.from_config(
    {"mon-fri": "09:00-18:00", "holidays": ["2026-12-25"]}, "Europe/Warsaw"
)
POLICY = SlaPolicy.from_config(
    {
        "chat": {"first": "2m", "next": "5m", "resolution": "1h"},
        "email": "1h",
        "telegram": {"first": "15m", "next": "30m"},
    }
)


def waw(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=WAW)


def mon(h: int, mi: int = 0, s: int = 0) -> datetime:
    """Monday 2026-05-04, an ordinary working day."""
    return waw(2026, 5, 4, h, mi, s)


def inbound(at: datetime, kind: str = "chat", automatic: bool = False) -> Activity:
    return Activity(at, "inbound", kind, automatic)


def reply(at: datetime, automatic: bool = False) -> Activity:
    return Activity(at, "outbound", automatic=automatic)


def status(at: datetime, kind: str) -> Activity:
    return Activity(at, kind)


# -- policy ------------------------------------------------------------------------------------


def test_policy_from_config() -> None:
    policy = SlaPolicy.from_config(
        {"chat": "2m", "email": {"next": "4h", "resolution": "3d"}, "default": "1h"}
    )
    assert policy.targets("chat") == Targets(first=timedelta(minutes=2))
    assert policy.targets("email") == Targets(
        next=timedelta(hours=4), resolution=timedelta(days=3)
    )
    assert policy.targets("telegram") == Targets(first=timedelta(hours=1))
    assert policy.targets(None) == Targets(first=timedelta(hours=1))
    assert SlaPolicy.from_config({}).targets("chat") == Targets()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"chat": {"frist": "2m"}}, "Unknown key 'sla.chat.frist'"),
        ({"chat": "2 minutes"}, "'sla.chat': \"2 minutes\" is not a duration"),
        ({"email": {"next": "soon"}}, "'sla.email.next'"),
        ({"email": 60}, "'sla.email' must be a duration"),
    ],
)
def test_policy_errors_name_the_key(table: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SlaPolicy.from_config(table)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((mon(10), "note"), "Unknown activity kind 'note'"),
        ((datetime(2026, 5, 4, 10), "inbound"), "timezone-aware"),
    ],
)
def test_activity_validation(args: tuple[datetime, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Activity(*args)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate([], POLICY, HOURS, now=datetime(2026, 5, 4, 10))


# -- first response across weekends, holidays and DST ------------------------------------------


@pytest.mark.parametrize(
    ("name", "arrived", "due"),
    [
        ("working day", mon(10), mon(11)),
        ("before opening", mon(7, 15), mon(10)),
        ("weekend", waw(2026, 5, 8, 17, 30), waw(2026, 5, 11, 9, 30)),
        ("arrives on Sunday", waw(2026, 5, 10, 12), waw(2026, 5, 11, 10)),
        ("Christmas holiday + weekend", waw(2026, 12, 24, 17, 30), waw(2026, 12, 28, 9, 30)),
        ("spring-forward weekend", waw(2026, 3, 27, 17, 30), waw(2026, 3, 30, 9, 30)),
        ("fall-back weekend", waw(2026, 10, 23, 17, 30), waw(2026, 10, 26, 9, 30)),
    ],
)
def test_email_first_response_due(name: str, arrived: datetime, due: datetime) -> None:
    result = evaluate([inbound(arrived, "email")], POLICY, HOURS, now=arrived)
    assert result.first_response_due == due, name
    assert result.next_response_due is None
    assert result.due == due
    assert result.waiting_since == arrived
    assert not result.breached


def test_dst_due_is_the_right_utc_instant() -> None:
    spring = evaluate([inbound(waw(2026, 3, 27, 17, 30), "email")], POLICY, HOURS,
                      now=waw(2026, 3, 27, 18))
    fall = evaluate([inbound(waw(2026, 10, 23, 17, 30), "email")], POLICY, HOURS,
                    now=waw(2026, 10, 23, 18))
    assert spring.due == datetime(2026, 3, 30, 7, 30, tzinfo=UTC)
    assert fall.due == datetime(2026, 10, 26, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "replied", "breach_due", "response_time"),
    [
        ("Monday morning, in time", waw(2026, 5, 11, 9, 20), None, timedelta(minutes=50)),
        ("exactly at the due time", waw(2026, 5, 11, 9, 30), None, timedelta(hours=1)),
        ("Monday at ten, late", waw(2026, 5, 11, 10), waw(2026, 5, 11, 9, 30),
         timedelta(hours=1, minutes=30)),
        ("answered on Saturday", waw(2026, 5, 9, 11), None, timedelta(minutes=30)),
    ],
)
def test_weekend_breach_detection(
    name: str, replied: datetime, breach_due: datetime | None, response_time: timedelta
) -> None:
    arrived = waw(2026, 5, 8, 17, 30)  # Friday
    history = [inbound(arrived, "email"), reply(replied)]
    result = evaluate(history, POLICY, HOURS, now=waw(2026, 5, 12, 12))
    assert [b.due for b in result.breaches] == ([breach_due] if breach_due else []), name
    assert result.first_response_time == response_time
    assert result.response_times == (response_time,)
    assert result.due is None
    assert result.waiting_since is None


def test_holiday_breach_is_dated_after_the_holiday() -> None:
    history = [inbound(waw(2026, 12, 24, 17, 30), "email")]
    assert breaches(history, POLICY, HOURS, now=waw(2026, 12, 27, 23)) == []
    found = breaches(history, POLICY, HOURS, now=waw(2026, 12, 28, 10))
    assert [(b.target, b.channel_kind, b.due) for b in found] == [
        ("first", "email", waw(2026, 12, 28, 9, 30))
    ]


# -- pending pauses the clocks -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "history", "now", "first_due", "paused"),
    [
        ("pending stops the clock",
         [inbound(mon(10)), status(mon(10, 1), "pending")], mon(15), None, True),
        ("customer writes back: 1m left",
         [inbound(mon(10)), status(mon(10, 1), "pending"), inbound(mon(16))],
         mon(16), mon(16, 1), False),
        ("agent reopens: 1m left",
         [inbound(mon(10)), status(mon(10, 1), "pending"), status(mon(11), "open")],
         mon(11), mon(11, 1), False),
        ("pending over night: left-over minute counted in business time",
         [inbound(mon(17, 59)), status(mon(17, 59, 30), "pending"), status(mon(20), "open")],
         mon(20), waw(2026, 5, 5, 9, 1, 30), False),
        ("snooze does not pause",
         [inbound(mon(10)), status(mon(10, 1), "snoozed")], mon(10, 1), mon(10, 2), False),
    ],
)
def test_pending_pauses(
    name: str, history: list[Activity], now: datetime, first_due: datetime | None, paused: bool
) -> None:
    result = evaluate(history, POLICY, HOURS, now=now)
    assert result.first_response_due == first_due, name
    assert result.paused is paused
    assert result.breaches == ()


def test_pending_time_is_not_response_time_and_not_a_breach() -> None:
    history = [
        inbound(mon(10)),
        status(mon(10, 1), "pending"),
        inbound(mon(14)),  # wakes the conversation: 1 minute of the 2 left
        reply(mon(14, 0, 50)),
    ]
    result = evaluate(history, POLICY, HOURS, now=mon(14, 30))
    assert result.status == "open"
    assert result.breaches == ()
    assert result.first_response_time == timedelta(minutes=1, seconds=50)


def test_pending_after_reply_stops_resolution_clock() -> None:
    history = [inbound(mon(10)), reply(mon(10, 1)), status(mon(10, 5), "pending")]
    result = evaluate(history, POLICY, HOURS, now=mon(17))
    assert result.resolution_due is None
    assert result.due is None
    assert result.breaches == ()
    # The customer answers next day: 55 minutes of resolution budget are left.
    later = evaluate([*history, inbound(waw(2026, 5, 5, 9))], POLICY, HOURS,
                     now=waw(2026, 5, 5, 9))
    assert later.next_response_due == waw(2026, 5, 5, 9, 5)
    assert later.resolution_due == waw(2026, 5, 5, 9, 55)
    assert later.due == waw(2026, 5, 5, 9, 5)


# -- next response, resolve and reopen ---------------------------------------------------------


def test_next_response_uses_the_next_target() -> None:
    history = [inbound(mon(10)), reply(mon(10, 1)), inbound(mon(10, 30)), inbound(mon(10, 31))]
    result = evaluate(history, POLICY, HOURS, now=mon(10, 32))
    assert result.first_response_due is None
    assert result.next_response_due == mon(10, 35)  # from the first unanswered message
    assert result.waiting_since == mon(10, 30)
    assert result.first_response_time == timedelta(minutes=1)


def test_channel_without_next_target_has_no_next_due() -> None:
    history = [inbound(mon(10), "email"), reply(mon(10, 10)), inbound(mon(11), "email")]
    result = evaluate(history, POLICY, HOURS, now=mon(12))
    assert result.next_response_due is None
    assert result.waiting_since == mon(11)
    assert result.due is None


def test_resolve_drops_the_unanswered_wait() -> None:
    history = [inbound(mon(10)), reply(mon(10, 1)), inbound(mon(10, 2)),
               status(mon(10, 3), "resolved")]
    result = evaluate(history, POLICY, HOURS, now=waw(2026, 5, 6, 12))
    assert result.status == "resolved"
    assert result.due is None
    assert result.waiting_since is None
    assert result.breaches == ()


def test_reopen_by_customer_resumes_resolution_budget() -> None:
    history = [
        inbound(mon(10)),
        reply(mon(10, 1)),
        status(mon(10, 10), "resolved"),  # 10 minutes of the 1h resolution budget used
        inbound(mon(12)),  # reopens
    ]
    result = evaluate(history, POLICY, HOURS, now=mon(12))
    assert result.status == "open"
    assert result.next_response_due == mon(12, 5)
    assert result.resolution_due == mon(12, 50)
    assert result.due == mon(12, 5)


def test_reopen_by_agent_owes_no_response_but_resumes_resolution() -> None:
    history = [inbound(mon(10)), reply(mon(10, 1)), status(mon(10, 10), "resolved"),
               status(mon(17, 30), "open")]
    result = evaluate(history, POLICY, HOURS, now=mon(17, 30))
    assert result.response_due is None
    assert result.resolution_due == waw(2026, 5, 5, 9, 20)  # 30m today, 20m tomorrow


def test_reopened_resolution_breach() -> None:
    history = [inbound(mon(10)), reply(mon(10, 1)), status(mon(10, 50), "resolved"),
               inbound(mon(12)), reply(mon(12, 3))]
    found = breaches(history, POLICY, HOURS, now=mon(13))
    assert [(b.target, b.started_at, b.due) for b in found] == [
        ("resolution", mon(10), mon(12, 10))
    ]


def test_resolved_before_any_reply_then_reopened_is_still_first() -> None:
    history = [inbound(mon(10)), status(mon(10, 1), "resolved"), inbound(mon(11))]
    result = evaluate(history, POLICY, HOURS, now=mon(11))
    assert result.first_response_due == mon(11, 2)


# -- breaches ----------------------------------------------------------------------------------


def test_breach_is_recorded_once_with_its_instant_and_stays_due() -> None:
    history = [inbound(mon(10))]
    assert breaches(history, POLICY, HOURS, now=mon(10, 2)) == []  # due, not yet past
    late = evaluate(history, POLICY, HOURS, now=mon(10, 30))
    assert late.breaches == (Breach("first", "chat", mon(10), mon(10, 2)),)
    assert late.first_response_due == mon(10, 2)  # past due: sorts to the top
    assert late.breached
    # Resolution also runs out at 11:00 if nobody answers.
    later = evaluate(history, POLICY, HOURS, now=mon(11, 30))
    assert [(b.target, b.due) for b in later.breaches] == [
        ("first", mon(10, 2)), ("resolution", mon(11)),
    ]


def test_breach_key_is_stable_as_history_grows() -> None:
    history = [inbound(mon(10))]
    first = breaches(history, POLICY, HOURS, now=mon(10, 5))
    grown = breaches([*history, reply(mon(10, 6)), inbound(mon(10, 7))], POLICY, HOURS,
                     now=mon(10, 8))
    assert [b.key for b in first] == [grown[0].key]
    assert first[0].key == "first@2026-05-04T08:00:00+00:00"


def test_future_activity_is_ignored() -> None:
    history = [inbound(mon(10)), reply(mon(10, 1))]
    result = evaluate(history, POLICY, HOURS, now=mon(10, 0, 30))
    assert result.first_response_due == mon(10, 2)
    assert result.first_response_time is None


def test_breach_across_the_night_is_in_business_time() -> None:
    history = [inbound(mon(17, 59), "telegram")]
    assert breaches(history, POLICY, HOURS, now=waw(2026, 5, 5, 9, 13)) == []
    found = breaches(history, POLICY, HOURS, now=waw(2026, 5, 5, 9, 15))
    assert [b.due for b in found] == [waw(2026, 5, 5, 9, 14)]


def test_automatic_messages_are_ignored() -> None:
    history = [
        inbound(mon(10), "email", automatic=True),  # an auto-reply needs no answer
        inbound(mon(10, 5), "chat"),
        reply(mon(10, 5, 30), automatic=True),  # our own auto-acknowledgement
    ]
    result = evaluate(history, POLICY, HOURS, now=mon(10, 6))
    assert result.waiting_since == mon(10, 5)
    assert result.first_response_due == mon(10, 7)
    assert result.first_response_time is None


def test_automatic_inbound_does_not_wake_pending() -> None:
    history = [inbound(mon(10)), status(mon(10, 1), "pending"),
               inbound(mon(11), "email", automatic=True)]
    result = evaluate(history, POLICY, HOURS, now=mon(15))
    assert result.paused
    assert result.breaches == ()


def test_the_first_unanswered_message_sets_the_target() -> None:
    history = [inbound(mon(10), "email"), inbound(mon(10, 1), "chat")]
    result = evaluate(history, POLICY, HOURS, now=mon(10, 10))
    assert result.first_response_due == mon(11)
    assert result.breaches == ()


def test_no_targets_still_measure_response_time() -> None:
    history = [inbound(mon(17, 30), "sms"), reply(waw(2026, 5, 5, 9, 30))]
    result = evaluate(history, POLICY, HOURS, now=waw(2026, 5, 5, 12))
    assert result.due is None
    assert result.breaches == ()
    assert result.first_response_time == timedelta(hours=1)
    assert due_at(history[:1], POLICY, HOURS, now=mon(17, 31)) is None


def test_due_at_is_the_earliest_running_deadline() -> None:
    history = [inbound(mon(10)), reply(mon(10, 1))]
    assert due_at(history, POLICY, HOURS, now=mon(10, 2)) == mon(11)  # resolution
    assert due_at([*history, inbound(mon(10, 3))], POLICY, HOURS, now=mon(10, 3)) == mon(10, 8)


def test_unordered_history_is_sorted() -> None:
    ordered = [inbound(mon(10)), status(mon(10, 1), "pending"), inbound(mon(11))]
    assert evaluate(ordered[::-1], POLICY, HOURS, now=mon(11)) == evaluate(
        ordered, POLICY, HOURS, now=mon(11)
    )


# -- properties --------------------------------------------------------------------------------

KINDS = ["inbound", "inbound", "outbound", "open", "pending", "snoozed", "resolved"]
STEPS = st.lists(
    st.tuples(
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=30)),
        st.sampled_from(KINDS),
        st.sampled_from(["chat", "email", "telegram", "sms"]),
        st.booleans(),
    ),
    max_size=12,
)


def build(steps: list[tuple[timedelta, str, str, bool]]) -> list[Activity]:
    at, history = waw(2026, 3, 26, 8), []  # spans the spring-forward weekend
    for gap, kind, channel, automatic in steps:
        at = at + gap
        if kind == "inbound":
            history.append(inbound(at, channel, automatic and channel == "email"))
        elif kind == "outbound":
            history.append(reply(at, automatic and channel == "email"))
        else:
            history.append(status(at, kind))
    return history


@settings(max_examples=200, deadline=None)
@given(steps=STEPS, extra=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=4)))
def test_breaches_only_accumulate_and_are_past(
    steps: list[tuple[timedelta, str, str, bool]], extra: timedelta
) -> None:
    history = build(steps)
    end = (history[-1].at if history else waw(2026, 3, 26, 8)) + extra
    previous: list[Breach] = []
    for now in [*(a.at for a in history), end]:
        result = evaluate(history, POLICY, HOURS, now=now)
        found = list(result.breaches)
        assert all(b.due < now and b.started_at <= b.due for b in found)
        assert len({b.key for b in found}) == len(found)
        assert {b.key: b for b in previous}.items() <= {b.key: b for b in found}.items()
        previous = found
        if result.paused or result.status == "resolved":
            assert result.response_due is None
            assert result.resolution_due is None
        if result.due is not None and not result.breached:
            assert result.due >= now
