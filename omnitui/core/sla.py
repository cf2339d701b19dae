"""SLA clocks: when a conversation's reply is due, and which promises were broken.

One pure replay of a conversation's history decides everything, so the hub (breach events), the
inbox (sort by due time) and reports agree on a single definition, and tests can replay any story
with injected times. Rules, in the shop's business hours:

- A *wait* starts at the first customer message nobody has answered yet; its target is that
  message's channel kind's `first` target (no agent reply yet in this conversation) or `next`
  target. An agent reply ends the wait. Automatic messages (auto-replies, bounces, bulk mail on
  the way in; auto-acknowledgements on the way out) neither start nor end anything.
- The *resolution* clock starts at the first customer message and runs until resolved; a reopen
  resumes it with what is left of the budget.
- Every clock pauses while the conversation is pending on the customer. A customer message wakes
  a pending, snoozed or resolved conversation (as ingest does). Snoozing does not pause: the
  customer is still waiting. Resolving drops an unanswered wait: nothing more is owed.
- A clock breaches once, at the instant its target runs out while it is still running.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from omnitui.core.hours import BusinessHours, parse_duration

INBOUND = "inbound"
OUTBOUND = "outbound"
OPEN = "open"
PENDING = "pending"
SNOOZED = "snoozed"
RESOLVED = "resolved"
STATUSES = (OPEN, PENDING, SNOOZED, RESOLVED)
KINDS = (INBOUND, OUTBOUND, *STATUSES)
PAUSED_STATUSES = frozenset({PENDING})

FIRST = "first"
NEXT = "next"
RESOLUTION = "resolution"
TARGET_NAMES = (FIRST, NEXT, RESOLUTION)
DEFAULT_KEY = "default"


@dataclass(frozen=True)
class Targets:
    """The promises for one channel kind; None means no promise."""

    first: timedelta | None = None
    next: timedelta | None = None
    resolution: timedelta | None = None


@dataclass(frozen=True)
class SlaPolicy:
    """The [sla] table: targets per channel kind, with an optional `default` for the rest."""

    by_kind: Mapping[str, Targets] = field(default_factory=dict)
    default: Targets = Targets()

    @classmethod
    def from_config(cls, sla: Mapping[str, Any]) -> SlaPolicy:
        """`chat = "2m"` is a first-response target; `email = {first = "1h", next = "4h",
        resolution = "3d"}` sets each. Errors name the key."""
        by_kind: dict[str, Targets] = {}
        for kind, value in sla.items():
            if isinstance(value, str):
                by_kind[kind] = Targets(first=_duration(f"sla.{kind}", value))
            elif isinstance(value, Mapping):
                unknown = [key for key in value if key not in TARGET_NAMES]
                if unknown:
                    raise ValueError(
                        f"Unknown key 'sla.{kind}.{unknown[0]}'; use first, next or resolution."
                    )
                by_kind[kind] = Targets(
                    **{key: _duration(f"sla.{kind}.{key}", dur) for key, dur in value.items()}
                )
            else:
                raise ValueError(
                    f"'sla.{kind}' must be a duration like \"15m\" or a table like "
                    '{first = "15m", next = "1h"}.'
                )
        default = by_kind.pop(DEFAULT_KEY, Targets())
        return cls(by_kind, default)

    def targets(self, channel_kind: str | None) -> Targets:
        """The targets for a channel kind, falling back to `default`."""
        if channel_kind is not None and channel_kind in self.by_kind:
            return self.by_kind[channel_kind]
        return self.default


def _duration(key: str, value: Any) -> timedelta:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ValueError(f"'{key}': {exc}") from None


@dataclass(frozen=True)
class Activity:
    """One thing that happened to a conversation, as far as SLAs care.

    kind: inbound | outbound (messages), or open | pending | snoozed | resolved (status
    changes). `channel_kind` matters on inbound messages; `automatic` marks auto-replies,
    bounces and bulk mail (inbound) or auto-acknowledgements (outbound), which SLAs ignore.
    """

    at: datetime
    kind: str
    channel_kind: str | None = None
    automatic: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Unknown activity kind {self.kind!r}; use one of {', '.join(KINDS)}.")
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError(f"Activity time must be timezone-aware, got {self.at!r}.")


@dataclass(frozen=True)
class Breach:
    """A promise broken: `due` is the instant the target ran out (the breach event's time)."""

    target: str  # first | next | resolution
    channel_kind: str | None
    started_at: datetime  # the customer message that started the clock
    due: datetime

    @property
    def key(self) -> str:
        """Stable identity, so the store records each breach once however often it replays."""
        return f"{self.target}@{self.started_at.astimezone(UTC).isoformat()}"


@dataclass(frozen=True)
class SlaStatus:
    """The SLA picture of one conversation at `now`."""

    status: str
    paused: bool  # pending on the customer: every clock stopped
    waiting_since: datetime | None  # first customer message not yet answered
    first_response_due: datetime | None  # set while a first response is owed and running
    next_response_due: datetime | None  # set while a later response is owed and running
    resolution_due: datetime | None
    breaches: tuple[Breach, ...]
    first_response_time: timedelta | None  # business time to the first reply, pauses excluded
    response_times: tuple[timedelta, ...]  # every answered wait, in order

    @property
    def response_due(self) -> datetime | None:
        return self.first_response_due or self.next_response_due

    @property
    def due(self) -> datetime | None:
        """The earliest deadline still running: what the inbox sorts by and colours."""
        dues = [d for d in (self.response_due, self.resolution_due) if d is not None]
        return min(dues) if dues else None

    @property
    def breached(self) -> bool:
        return bool(self.breaches)


@dataclass
class _Clock:
    """A stopwatch in business time with an optional budget; breaches at most once."""

    target: str
    channel_kind: str | None
    started_at: datetime
    budget: timedelta | None
    running_since: datetime | None
    used: timedelta = timedelta(0)
    breach_due: datetime | None = None

    def due(self, hours: BusinessHours) -> datetime | None:
        if self.running_since is None or self.budget is None:
            return None
        if self.breach_due is not None:
            return self.breach_due
        return hours.add_business(self.running_since, max(self.budget - self.used, timedelta(0)))

    def advance(self, hours: BusinessHours, to: datetime, breaches: list[Breach]) -> None:
        """Account time up to `to`, recording a breach if the budget ran out before it."""
        if self.running_since is None:
            return
        due = self.due(hours)
        if due is not None and self.breach_due is None and due < to:
            self.breach_due = due
            breaches.append(Breach(self.target, self.channel_kind, self.started_at, due))
        self.used += hours.business_time(self.running_since, to)
        self.running_since = to

    def run(self, running: bool, at: datetime) -> None:
        if running and self.running_since is None:
            self.running_since = at
        elif not running:
            self.running_since = None


def evaluate(
    history: Iterable[Activity],
    policy: SlaPolicy,
    hours: BusinessHours,
    *,
    now: datetime,
) -> SlaStatus:
    """Replay `history` up to `now` (later activities are ignored) and report the SLA state."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"`now` must be timezone-aware, got {now!r}.")
    events = sorted((a for a in history if a.at <= now), key=lambda a: a.at)
    status = OPEN
    responded = False
    waiting_since: datetime | None = None
    wait: _Clock | None = None
    resolution: _Clock | None = None
    breaches: list[Breach] = []
    response_times: list[timedelta] = []
    first_response_time: timedelta | None = None

    for event in events:
        if event.automatic and event.kind in (INBOUND, OUTBOUND):
            continue
        for clock in (wait, resolution):
            if clock is not None:
                clock.advance(hours, event.at, breaches)
        if event.kind == INBOUND:
            status = OPEN  # a customer message wakes pending, snoozed and resolved alike
            targets = policy.targets(event.channel_kind)
            if waiting_since is None:
                waiting_since = event.at
                name = NEXT if responded else FIRST
                wait = _Clock(name, event.channel_kind, event.at, getattr(targets, name), None)
            if resolution is None:
                resolution = _Clock(
                    RESOLUTION, event.channel_kind, event.at, targets.resolution, None
                )
        elif event.kind == OUTBOUND:
            if wait is not None:
                response_times.append(wait.used)
                if wait.target == FIRST and first_response_time is None:
                    first_response_time = wait.used
            responded = True
            wait, waiting_since = None, None
        else:
            status = event.kind
            if status == RESOLVED:
                wait, waiting_since = None, None
        running = status not in PAUSED_STATUSES
        if wait is not None:
            wait.run(running, event.at)
        if resolution is not None:
            resolution.run(running and status != RESOLVED, event.at)

    for clock in (wait, resolution):
        if clock is not None:
            clock.advance(hours, now, breaches)
    wait_due = wait.due(hours) if wait is not None else None
    return SlaStatus(
        status=status,
        paused=status in PAUSED_STATUSES,
        waiting_since=waiting_since,
        first_response_due=wait_due if wait is not None and wait.target == FIRST else None,
        next_response_due=wait_due if wait is not None and wait.target == NEXT else None,
        resolution_due=resolution.due(hours) if resolution is not None else None,
        breaches=tuple(sorted(breaches, key=lambda b: b.due)),
        first_response_time=first_response_time,
        response_times=tuple(response_times),
    )


def due_at(
    history: Iterable[Activity], policy: SlaPolicy, hours: BusinessHours, *, now: datetime
) -> datetime | None:
    """The inbox sort key: the earliest running deadline, None when nothing is owed or paused."""
    return evaluate(history, policy, hours, now=now).due


def breaches(
    history: Iterable[Activity], policy: SlaPolicy, hours: BusinessHours, *, now: datetime
) -> list[Breach]:
    """Every breach up to `now`, oldest first; record new ones by `Breach.key`."""
    return list(evaluate(history, policy, hours, now=now).breaches)
