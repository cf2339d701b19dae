"""Service reports: are we keeping our promises? Pure reads of the store, one window at a time.

Every figure is defined once here (and in README.md, "Reports"), so the CLI, a console screen
and tests agree. Durations are business time (the shop's [hours]) because that is what the SLA
promises are made in. The population of most figures is the conversations *created* in the
window; events (breaches, transfers, ratings) and messages count when they happened in it.
Merged-away conversations are left out: their messages live on in the surviving one.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from omnitui.core.hours import BusinessHours
from omnitui.core.sla import SlaPolicy, evaluate
from omnitui.core.sla_store import AUTOMATIC_FLAGS, BREACH_EVENT, load_histories
from omnitui.store.db import Store

GROUPINGS = ("channel", "agent", "label", "hour")
FCR_WINDOW = timedelta(days=7)
NO_AGENT = "(unassigned)"
NO_LABEL = "(no label)"


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest rank: the smallest value that at least p% of the values do not exceed."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Figures:
    """One row of the report: all conversations, or one group of them."""

    key: str
    conversations: int = 0  # created in the window
    inbound: int = 0  # customer messages in the window (automatic mail left out)
    first_response_p50: float | None = None  # seconds of business time
    first_response_p90: float | None = None
    first_responses: int = 0
    resolution_p50: float | None = None  # seconds of business time
    resolution_p90: float | None = None
    resolved: int = 0
    fcr_rate: float | None = None  # 0..1 of `resolved`
    fcr: int = 0
    breaches: int = 0
    breaches_by_target: dict[str, int] = field(default_factory=dict)
    csat_average: float | None = None
    csat_count: int = 0


@dataclass(frozen=True)
class TransferRow:
    agent: str
    given: int  # transfers this agent handed to someone else
    received: int


@dataclass(frozen=True)
class Report:
    since: datetime
    until: datetime
    by: str | None
    total: Figures
    groups: tuple[Figures, ...]
    transfers: tuple[TransferRow, ...]
    inbound_by_hour: tuple[int, ...]  # 24 counts, local hour of day in the shop's zone

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(), "until": self.until.isoformat(), "by": self.by,
            "total": asdict(self.total), "groups": [asdict(g) for g in self.groups],
            "transfers": [asdict(t) for t in self.transfers],
            "inbound_by_hour": list(self.inbound_by_hour),
        }


@dataclass
class _Acc:
    """Raw samples of one group before percentiles are taken."""

    conversations: int = 0
    inbound: int = 0
    first: list[float] = field(default_factory=list)
    resolution: list[float] = field(default_factory=list)
    fcr: int = 0
    breaches: Counter[str] = field(default_factory=Counter)
    ratings: list[int] = field(default_factory=list)

    def figures(self, key: str) -> Figures:
        resolved = len(self.resolution)
        return Figures(
            key=key, conversations=self.conversations, inbound=self.inbound,
            first_response_p50=percentile(self.first, 50),
            first_response_p90=percentile(self.first, 90), first_responses=len(self.first),
            resolution_p50=percentile(self.resolution, 50),
            resolution_p90=percentile(self.resolution, 90), resolved=resolved,
            fcr_rate=(self.fcr / resolved) if resolved else None, fcr=self.fcr,
            breaches=sum(self.breaches.values()), breaches_by_target=dict(self.breaches),
            csat_average=(sum(self.ratings) / len(self.ratings)) if self.ratings else None,
            csat_count=len(self.ratings),
        )


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _keys(by: str | None, conv: dict[str, Any], labels: dict[int, list[str]],
          hours: BusinessHours) -> list[str]:
    """The groups a conversation belongs to (a conversation with two labels is in both)."""
    if by == "channel":
        return [conv["channel"]]
    if by == "agent":
        return [conv["agent"] or NO_AGENT]
    if by == "label":
        return labels.get(conv["id"]) or [NO_LABEL]
    if by == "hour":
        return [f"{_dt(conv['created_at']).astimezone(hours.tz).hour:02d}"]
    return []


def build_report(
    store: Store,
    policy: SlaPolicy,
    hours: BusinessHours,
    *,
    since: datetime,
    now: datetime,
    by: str | None = None,
) -> Report:
    """Every figure for the window [since, now]; see README.md "Reports" for definitions."""
    if by is not None and by not in GROUPINGS:
        raise ValueError(f"Group by one of {', '.join(GROUPINGS)}, not {by!r}.")
    lo, hi = since.timestamp(), now.timestamp()
    with store.read() as tx:
        convs = {r["id"]: dict(r) for r in tx.all(
            "SELECT c.id, c.customer_id, c.channel, c.status, c.created_at, c.resolved_at, "
            "c.reopen_count, c.rating, a.username AS agent FROM conversation c "
            "LEFT JOIN agent a ON a.id = c.assignee_id "
            "WHERE c.merged_into IS NULL AND c.created_at >= ? AND c.created_at <= ?", (lo, hi))}
        labels: dict[int, list[str]] = defaultdict(list)
        for r in tx.all("SELECT cl.conversation_id, l.name FROM conversation_label cl "
                        "JOIN label l ON l.id = cl.label_id ORDER BY l.name"):
            labels[r[0]].append(r[1])
        customers = sorted({c["customer_id"] for c in convs.values()})
        later: dict[int, list[float]] = defaultdict(list)
        for chunk in (customers[i:i + 400] for i in range(0, len(customers), 400)):
            marks = ",".join("?" * len(chunk))
            # A conversation an agent started is not the customer coming back.
            for r in tx.all(f"SELECT customer_id, created_at FROM conversation WHERE "
                            f"merged_into IS NULL AND started_by IS NULL AND "
                            f"customer_id IN ({marks})", tuple(chunk)):
                later[r[0]].append(r[1])
        histories = load_histories(tx, list(convs))
        messages = tx.all(
            "SELECT m.conversation_id, m.created_at, m.flags, c.merged_into FROM message m "
            "JOIN conversation c ON c.id = m.conversation_id "
            "WHERE m.kind = 'inbound' AND m.created_at >= ? AND m.created_at <= ?", (lo, hi))
        sql = tx.sql
        breaches = tx.all(
            f"SELECT conversation_id, {sql.json_text('data', 'target')} FROM event WHERE kind = ? "
            f"AND {sql.json_number('data', 'due_at')} BETWEEN ? AND ?", (BREACH_EVENT, lo, hi))
        transfers = tx.all(  # a withdrawn (undone) transfer was never handed over
            f"SELECT {sql.json_text('data', 'from')}, {sql.json_text('data', 'to')} FROM event "
            "WHERE kind = 'transfer' AND at >= ? AND at <= ? AND id NOT IN (SELECT "
            f"{sql.json_int('u.data', 'undone')} FROM event u WHERE u.conversation_id = "
            "event.conversation_id AND u.kind = 'undo')", (lo, hi))
        # Messages and breaches of older conversations still need those conversations' groups.
        wanted = sorted(({r[0] for r in messages} | {r[0] for r in breaches}) - set(convs))
        extra: dict[int, dict[str, Any]] = {}
        for chunk in (wanted[i:i + 400] for i in range(0, len(wanted), 400) if by):
            marks = ",".join("?" * len(chunk))
            extra.update({r["id"]: dict(r) for r in tx.all(
                "SELECT c.id, c.channel, c.created_at, a.username AS agent FROM conversation c "
                f"LEFT JOIN agent a ON a.id = c.assignee_id WHERE c.id IN ({marks})",
                tuple(chunk))})

    accs: dict[str, _Acc] = defaultdict(_Acc)
    total = _Acc()

    def add(conv_id: int, fn: Any) -> None:
        fn(total)
        conv = convs.get(conv_id) or extra.get(conv_id)
        if by and conv is not None:
            for key in _keys(by, conv, labels, hours):
                fn(accs[key])

    for conv in convs.values():
        _conversation_figures(conv, histories[conv["id"]], later[conv["customer_id"]],
                              policy, hours, now, lambda fn, cid=conv["id"]: add(cid, fn))

    by_hour = [0] * 24
    for conv_id, at, flags, merged in messages:
        if AUTOMATIC_FLAGS & set((flags or "").split()) or merged is not None:
            continue
        by_hour[_dt(at).astimezone(hours.tz).hour] += 1
        add(conv_id, lambda acc: setattr(acc, "inbound", acc.inbound + 1))

    for conv_id, target in breaches:
        add(conv_id, lambda acc, t=str(target): acc.breaches.update([t]))

    given: Counter[str] = Counter()
    received: Counter[str] = Counter()
    for giver, taker in transfers:
        given[giver or "?"] += 1
        received[taker or "?"] += 1
    agents = sorted(set(given) | set(received))
    return Report(
        since=since, until=now, by=by, total=total.figures("all"),
        groups=tuple(accs[k].figures(k) for k in sorted(accs)),
        transfers=tuple(TransferRow(a, given[a], received[a]) for a in agents),
        inbound_by_hour=tuple(by_hour),
    )


def _conversation_figures(conv: dict[str, Any], history: Sequence[Any], customer_convs:
                          Iterable[float], policy: SlaPolicy, hours: BusinessHours,
                          now: datetime, add: Any) -> None:
    """Count one conversation: first response, resolution, FCR and CSAT."""
    add(lambda acc: setattr(acc, "conversations", acc.conversations + 1))
    status = evaluate(history, policy, hours, now=now)
    if status.first_response_time is not None:
        seconds = status.first_response_time.total_seconds()
        add(lambda acc: acc.first.append(seconds))
    if conv["status"] == "resolved" and conv["resolved_at"] is not None:
        firsts = [a.at for a in history if a.kind == "inbound" and not a.automatic]
        start = firsts[0] if firsts else _dt(conv["created_at"])
        took = hours.business_seconds(start, _dt(conv["resolved_at"]))
        add(lambda acc: acc.resolution.append(max(took, 0.0)))
        resolved_at = conv["resolved_at"]
        came_back = any(resolved_at < t <= resolved_at + FCR_WINDOW.total_seconds()
                        for t in customer_convs)
        if not conv["reopen_count"] and not came_back:
            add(lambda acc: setattr(acc, "fcr", acc.fcr + 1))
    if conv["rating"] is not None:
        rating = int(conv["rating"])
        add(lambda acc: acc.ratings.append(rating))



def human(seconds: float | None) -> str:
    """Business durations as people say them: 45s, 12m, 1h05m, 2d3h (CLI and console alike)."""
    if seconds is None:
        return "-"
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m" + (f"{s % 60:02d}s" if s % 60 else "")
    if s < 86400:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{s // 86400}d{(s % 86400) // 3600}h"


def percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.0f}%"
