"""A compositor that draws only what a partial update writes.

Textual's compositor, asked to repaint part of the screen, renders every widget whose clip
touches the box around all changed regions, each over its whole visible height, then throws away
what falls outside them. A top-level widget's clip is the whole screen, so one new message in a
conversation rendered the title, the reply label, the status line and the key bar too, and the
containers under the timeline and side panel (every line of them, through their line filters):
about half of a console's CPU per message. An arrow key in the inbox rendered the whole list,
its scrollbar and every bar for the two rows that change.

`PartialCompositor` renders, for a partial update, only the widgets a changed region touches,
each only over the rows where one touches it, and none that the widgets in front of it hide on
those rows. The same lines reach the terminal (the widgets in front win each cell, as in
Textual's compositor); the others are simply not rendered.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.strip import Strip


class PartialCompositor(Compositor):
    """`Compositor` whose partial updates render only what the changed regions need."""

    _changed: list[Region] | None = None  # the partial update's regions, while it renders

    def render_partial_update(self) -> ChopsUpdate | None:
        self._changed = list(self._dirty_regions)
        try:
            return super().render_partial_update()
        finally:
            self._changed = None

    def _get_renders(
        self, crop: Region | None = None
    ) -> Iterable[tuple[Region, Region, list[Strip]]]:
        changed = self._changed
        if crop is None or not changed:
            yield from super()._get_renders(crop)
            return
        covered: dict[int, list[tuple[int, int]]] = {}  # row → spans of the widgets in front
        for widget, (region, clip) in self.visible_widgets.items():  # (front to back)
            visible = region.intersection(clip)
            if not (visible.width and visible.height):
                continue
            rows: set[int] = set()
            for part in changed:
                touched = part.intersection(visible)
                if touched.width and touched.height:  # (a miss is empty in one direction only)
                    rows.update(touched.line_range)
            left, right = visible.x, visible.right
            needed = [y for y in rows if not _spans_cover(covered.get(y), left, right)]
            for y in visible.line_range:
                covered.setdefault(y, []).append((left, right))
            if not needed:
                continue
            top, bottom = min(needed), max(needed) + 1
            band = Region(left, top, visible.width, bottom - top)
            # Full width: the cuts of each line are then those of a full render.
            yield region, clip.intersection(band), widget.render_lines(
                Region(left - region.x, top - region.y, visible.width, bottom - top))


def _spans_cover(spans: list[tuple[int, int]] | None, left: int, right: int) -> bool:
    """Whether the spans together cover the columns left..right-1."""
    if not spans:
        return False
    reach = left
    for start, end in sorted(spans):
        if start > reach:
            return False
        reach = max(reach, end)
        if reach >= right:
            return True
    return False


def use_partial_compositor(screen: object) -> None:
    """Give a new screen the partial compositor (before it is mounted: nothing is composed)."""
    screen._compositor = PartialCompositor()  # type: ignore[attr-defined]
