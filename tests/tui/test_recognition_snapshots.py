"""Snapshots at 80×24 (fixed clock, the demo shop) of a conversation whose customer is probably
somebody known: the suggestion in the side panel, and the merge preview `s` opens with the fold
of the two cases.

Update after an intended change with
`pytest tests/tui/test_recognition_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from omnitui.channels.base import Inbound
from omnitui.config import Settings
from omnitui.core.ingest import ingest
from omnitui.store.db import Store
from omnitui.tui.app import make_app

NEW_CONVERSATION = 10  # the demo shop has nine


async def _suggestion(pilot: Pilot) -> None:
    await pilot.pause()
    pilot.app.open_conversation(NEW_CONVERSATION)  # type: ignore[attr-defined]
    await pilot.pause()


async def _merge_preview(pilot: Pilot) -> None:
    await _suggestion(pilot)
    await pilot.press("s")
    await pilot.pause()


SCENES = {"suggestion": _suggestion, "merge_preview": _merge_preview}


@pytest.mark.parametrize("scene", list(SCENES))
def test_recognition_snapshot(scene: str, shop: Settings, fixed_clock: Callable[[], float],
                              snap_compare) -> None:  # type: ignore[no-untyped-def]
    store = Store.open(shop.database, clock=fixed_clock)
    new = ingest(store, Inbound(
        channel="mail", kind="email", external_id="emma-new",
        address="emma.j@elsewhere.example", display_name="Emma Johnson",
        subject="Order 10482", text="Hello, any news about order #10482? It is a week late."))
    store.close()
    assert new.conversation_id == NEW_CONVERSATION
    app = make_app(shop, "anna", clock=fixed_clock, feed_interval=None)
    assert snap_compare(app, terminal_size=(80, 24), run_before=SCENES[scene])
