"""Snapshots of the inbox that leads the agent (fixed clock, the demo shop with response
targets): the default view with its counts and deadlines, marks, the view picker and a bulk
question, at 80×24 and 120×40, in full colour, in 16 colours and under NO_COLOR.

Update after an intended change with
`pytest tests/tui/test_inbox_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from omnitui.config import Settings
from omnitui.store.db import Store
from omnitui.tui.app import make_app

from .colors16 import SixteenColours
from .test_inbox_lead import set_targets

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


async def _default(pilot: Pilot) -> None:
    await pilot.pause()


async def _marked(pilot: Pilot) -> None:
    await pilot.pause()
    await pilot.press("x", "j", "x")
    await pilot.pause()


async def _views(pilot: Pilot) -> None:
    await pilot.pause()
    await pilot.press("v")
    await pilot.pause()


async def _bulk_resolve(pilot: Pilot) -> None:
    await pilot.pause()
    await pilot.press("asterisk", "e")
    await pilot.pause()


SCENES = {"default": _default, "marked": _marked, "views": _views, "bulk": _bulk_resolve}


def _app(shop: Settings, clock: Callable[[], float]):  # type: ignore[no-untyped-def]
    store = Store.open(shop.database)
    set_targets(store)  # chat 1h (overdue), email 3d (time left)
    store.close()
    return make_app(shop, "anna", clock=clock, feed_interval=None)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scene", list(SCENES))
def test_inbox_snapshot(scene: str, size: tuple[int, int], shop: Settings,
                        fixed_clock: Callable[[], float], snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_app(shop, fixed_clock), terminal_size=size, run_before=SCENES[scene])


@pytest.mark.parametrize("size", SIZES)
def test_inbox_snapshot_16_colours(size: tuple[int, int], shop: Settings,
                                   fixed_clock: Callable[[], float], snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = _app(shop, fixed_clock)
    app._filters.append(SixteenColours())
    assert snap_compare(app, terminal_size=size, run_before=_marked)


@pytest.mark.parametrize("size", SIZES)
def test_inbox_snapshot_no_color(size: tuple[int, int], shop: Settings,
                                 fixed_clock: Callable[[], float], snap_compare,  # type: ignore[no-untyped-def]
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = _app(shop, fixed_clock)
    assert app.no_color
    assert snap_compare(app, terminal_size=size, run_before=_marked)
