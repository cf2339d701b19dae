"""A conversation opened and closed leaves nothing behind: the console runs all day."""

from __future__ import annotations

import gc

from textual.widgets._footer import FooterKey

from omnitui.tui.app import OmniConsole
from omnitui.tui.screens.conversation import ConversationScreen
from omnitui.tui.widgets.composer import Composer


def _alive(kind: type) -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, kind))


async def test_opening_conversations_again_and_again_keeps_no_old_widgets(
        console: OmniConsole) -> None:
    """Textual keeps a widget's watcher on a longer-lived object until the watched value
    changes (its TextArea watches the app's theme; footer keys watch their Footer): before
    tui/watchers.py each open kept a composer, a signature area and a footer's keys."""
    # What this process still holds of earlier tests' consoles is not this console's doing.
    before = (_alive(ConversationScreen), _alive(Composer))
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        counts = []
        for _ in range(6):
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(console.screen, ConversationScreen)
            await pilot.press("escape")
            for _ in range(100):  # the screen's removal finishes a moment after the key
                await pilot.pause(0.05)
                if _alive(ConversationScreen) <= before[0]:
                    break
            counts.append((_alive(ConversationScreen), _alive(Composer), _alive(FooterKey)))
        screens, composers, _ = counts[-1]
        assert (screens, composers) == before, (before, counts)
        footer_keys = [keys for _, _, keys in counts]
        assert footer_keys[-1] <= footer_keys[1], footer_keys  # no more than after the 2nd
