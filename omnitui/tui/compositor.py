"""A compositor that draws only the lines a partial update writes.

Textual's compositor, asked to repaint two rows of the inbox list, renders every widget whose
clip touches them over the widget's whole visible height: the list's 20 rows with their line
filters, its scrollbar's 20, and (their clip being the screen) the header, title, status line
and footer too, then throws away all but the two rows. That was about a third of the console's
CPU per arrow key. `BandCompositor` clips each widget to the band of lines the update covers
before rendering it, as Textual already does for a widget half scrolled out of view: the same
lines reach the terminal, the others are simply not rendered.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual._compositor import Compositor
from textual.geometry import Region
from textual.strip import Strip


class BandCompositor(Compositor):
    """`Compositor` whose partial updates render only the rows between the first and last
    changed line (full width, so the column cuts are those of a full render)."""

    def _get_renders(
        self, crop: Region | None = None
    ) -> Iterable[tuple[Region, Region, list[Strip]]]:
        if crop is None or crop.height >= self.size.height:
            yield from super()._get_renders(crop)
            return
        band = Region(0, crop.y, self.size.width, crop.height)
        for widget, (region, clip) in self.visible_widgets.items():
            visible = region.intersection(clip).intersection(band)
            if not (visible.width and visible.height):
                continue
            yield region, clip.intersection(band), widget.render_lines(
                Region(visible.x - region.x, visible.y - region.y, visible.width,
                       visible.height))


def use_band_compositor(screen: object) -> None:
    """Give a new screen the band compositor (before it is mounted: nothing is composed yet)."""
    screen._compositor = BandCompositor()  # type: ignore[attr-defined]
