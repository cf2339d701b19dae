"""Snapshots of the console at 80×24 and 120×40 (fixed clock, fixed demo shop).

Update after an intended change with `pytest tests/tui/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from omnitui.config import Settings
from omnitui.tui.app import make_app

from .helpers import EMMA

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


async def _conversation(pilot: Pilot) -> None:
    await pilot.pause()
    pilot.app.open_conversation(EMMA)  # type: ignore[attr-defined]
    await pilot.pause()


async def _inbox(pilot: Pilot) -> None:
    await pilot.pause()
    await pilot.press("4", "j")
    await pilot.pause()


async def _picker(pilot: Pilot) -> None:
    await _conversation(pilot)
    await pilot.press("r")
    await pilot.press("ctrl+o")
    await pilot.pause()


async def _transfer(pilot: Pilot) -> None:
    await _conversation(pilot)
    await pilot.press("t")
    await pilot.pause()


async def _help(pilot: Pilot) -> None:
    await pilot.pause()
    await pilot.press("question_mark")
    await pilot.pause()


SCENES = {"inbox": _inbox, "conversation": _conversation, "canned_picker": _picker,
          "transfer": _transfer, "help": _help}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scene", list(SCENES))
def test_snapshot(scene: str, size: tuple[int, int], shop: Settings,
                  fixed_clock: Callable[[], float], snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(shop, "anna", clock=fixed_clock, feed_interval=None)
    assert snap_compare(app, terminal_size=size, run_before=SCENES[scene])
