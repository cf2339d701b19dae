"""Snapshots of the conversation screen's elements (fixed clock, the demo shop) at 80×24 and
120×40: a rated conversation, Arabic in the inbox, timeline and reply box, a long reply in the
grown box, the unmerge and Telegram link dialogs; the rating and Arabic also in 16 colours and
under NO_COLOR.

Update after an intended change with
`pytest tests/tui/test_conversation_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from omnitui.config import Settings, TelegramSettings
from omnitui.core.agents import get_agent
from omnitui.core.merge import merge_customers
from omnitui.store.db import Store
from omnitui.tui.app import make_app

from .colors16 import SixteenColours
from .helpers import AHMED, LIAM, NOAH

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
ARABIC_REPLY = ("شكرا على رسالتك يا أحمد. سنرسل لك ملصق الإرجاع اليوم.\n"
                "رقم الطلب 77801")
LONG_REPLY = "\n\n".join(
    f"Paragraph {n}: we have checked your order with the courier and the parcel is on its "
    "way; you will get a tracking link by email." for n in range(1, 7))


async def _rated(pilot: Pilot) -> None:
    await pilot.pause()
    pilot.app.open_conversation(LIAM)  # type: ignore[attr-defined]
    await pilot.pause()


async def _arabic(pilot: Pilot) -> None:
    await pilot.pause()
    pilot.app.open_conversation(AHMED)  # type: ignore[attr-defined]
    await pilot.pause()
    await pilot.press("r")
    pilot.app.screen.composer.insert(ARABIC_REPLY)  # type: ignore[attr-defined]
    await pilot.pause()


async def _arabic_inbox(pilot: Pilot) -> None:
    await pilot.pause()
    await pilot.press("4")  # all conversations: أحمد الفارسي's row among them
    await pilot.pause()


async def _long_reply(pilot: Pilot) -> None:
    await pilot.pause()
    pilot.app.open_conversation(NOAH)  # type: ignore[attr-defined]
    await pilot.pause()
    await pilot.press("r")
    pilot.app.screen.composer.insert(LONG_REPLY)  # type: ignore[attr-defined]
    await pilot.pause()


async def _unmerge(pilot: Pilot) -> None:
    await pilot.pause()
    pilot.app.open_conversation(NOAH)  # type: ignore[attr-defined]
    await pilot.pause()
    await pilot.press("M")
    await pilot.pause()


async def _link(pilot: Pilot) -> None:
    await pilot.pause()
    pilot.app.open_conversation(LIAM)  # type: ignore[attr-defined]
    await pilot.pause()
    await pilot.press("L")
    await pilot.pause()


SCENES = {"rated": _rated, "arabic": _arabic, "arabic_inbox": _arabic_inbox,
          "long_reply": _long_reply, "unmerge": _unmerge, "telegram_link": _link}


def _app(shop: Settings, clock: Callable[[], float]):  # type: ignore[no-untyped-def]
    """The demo shop, with Liam merged into Noah (for the unmerge dialog), a fixed deep-link
    token and a Telegram bot name (for the link dialog)."""
    store = Store.open(shop.database, clock=clock)
    customers = dict(store.conn.execute(
        "SELECT id, customer_id FROM conversation WHERE id IN (?, ?)", (LIAM, NOAH)).fetchall())
    store.conn.execute("UPDATE customer SET link_token = 'demo-link-token' WHERE id = ?",
                       (customers[LIAM],))
    store.close()
    bot = TelegramSettings(kind="telegram", token_env="SHOP_BOT_TOKEN", bot_username="shop_bot")
    settings = dataclasses.replace(shop, channels={**shop.channels, "bot": bot})
    return make_app(settings, "anna", clock=clock, feed_interval=None)


def _merged(shop: Settings, clock: Callable[[], float]) -> None:
    store = Store.open(shop.database, clock=clock)
    customers = dict(store.conn.execute(
        "SELECT id, customer_id FROM conversation WHERE id IN (?, ?)", (LIAM, NOAH)).fetchall())
    merge_customers(store, customers[NOAH], customers[LIAM], get_agent(store, "anna"))
    store.close()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scene", list(SCENES))
def test_conversation_snapshot(scene: str, size: tuple[int, int], shop: Settings,
                               fixed_clock: Callable[[], float], snap_compare) -> None:  # type: ignore[no-untyped-def]
    if scene == "unmerge":
        _merged(shop, fixed_clock)
    assert snap_compare(_app(shop, fixed_clock), terminal_size=size, run_before=SCENES[scene])


@pytest.mark.parametrize("scene", ["rated", "arabic"])
def test_conversation_snapshot_16_colours(scene: str, shop: Settings,
                                          fixed_clock: Callable[[], float], snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = _app(shop, fixed_clock)
    app._filters.append(SixteenColours())
    assert snap_compare(app, terminal_size=(80, 24), run_before=SCENES[scene])


@pytest.mark.parametrize("scene", ["rated", "arabic"])
def test_conversation_snapshot_no_color(scene: str, shop: Settings,
                                        fixed_clock: Callable[[], float], snap_compare,  # type: ignore[no-untyped-def]
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = _app(shop, fixed_clock)
    assert app.no_color
    assert snap_compare(app, terminal_size=(80, 24), run_before=SCENES[scene])
