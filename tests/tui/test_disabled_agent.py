"""A console whose agent an admin disables: it closes within seconds and says why, and until it
notices, core refuses every action it tries (the check is inside each write transaction)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from omnitui.config import Settings
from omnitui.core.agents import set_agent_disabled
from omnitui.core.permissions import Actor, Login
from omnitui.store.db import Store
from omnitui.tui.app import make_app

from .helpers import EMMA, open_conv, type_text

ADMIN = Actor("anna", Login("anna", owns_data=False), shared=True)  # anna is the demo's admin


def disable_ben_elsewhere(settings: Settings) -> None:
    """What `omnitui agent disable ben` does: its own connection, its own transaction."""
    other = Store.open(settings.database)
    try:
        set_agent_disabled(other, "ben", by=ADMIN)
    finally:
        other.close()


def replies_by_ben(settings: Settings) -> int:
    store = Store.open(settings.database)
    try:
        return int(store.conn.execute(
            "SELECT count(*) FROM message m JOIN agent a ON a.id = m.agent_id "
            "WHERE a.username = 'ben' AND m.kind IN ('outbound', 'note')").fetchone()[0])
    finally:
        store.close()


async def test_a_running_console_closes_within_5_s_of_its_agent_being_disabled(
        shop: Settings, fixed_clock: Callable[[], float],
        capsys: pytest.CaptureFixture[str]) -> None:
    app = make_app(shop, "ben", clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, EMMA)
        await pilot.press("r")
        await type_text(pilot, "ok")
        before = replies_by_ben(shop)
        disabled_at = time.monotonic()
        await asyncio.to_thread(disable_ben_elsewhere, shop)
        while app.return_code is None and time.monotonic() - disabled_at < 5:
            await asyncio.sleep(0.02)
        took = time.monotonic() - disabled_at
    assert app.return_code == 1, "the console did not close"
    assert took < 5
    said = capsys.readouterr().err.strip()  # printed once the terminal is given back
    assert said == "Agent ben was disabled by anna; this console accepts no more actions."
    assert replies_by_ben(shop) == before


async def test_a_console_that_has_not_noticed_yet_is_refused_by_core(
        shop: Settings, fixed_clock: Callable[[], float]) -> None:
    """No live feed here: the console still believes in ben, and ctrl+j tries to send."""
    app = make_app(shop, "ben", clock=fixed_clock, feed_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, EMMA)
        await pilot.press("r")
        await type_text(pilot, "Your lamp ships today")
        before = replies_by_ben(shop)
        disable_ben_elsewhere(shop)
        await pilot.press("ctrl+j")
        await pilot.pause()
        toasts = [str(n.message) for n in app._notifications]
        assert replies_by_ben(shop) == before
        assert ("Agent 'ben' is disabled and can no longer act; an admin can enable it with "
                "'omnitui agent enable ben'.") in toasts
