"""A styles cache that keeps each content line's styled form, wherever on screen it lands.

Textual's `StylesCache` keeps a widget's styled lines by their position, so a one-row scroll of
the inbox makes every visible line new: each is styled again (background, opacity), run through
the terminal's colour filter, cut at the compositor's column cuts and turned into escape codes,
although 19 of the 20 rows are the very same strips one line higher. Keyed by the content strip
instead, a line moved by a scroll comes back as the same styled strip, and Textual's own caches
on that strip (filter, cuts, escape codes) answer the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from textual._styles_cache import StylesCache
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

KEEP = 256  # styled lines kept (a dozen screens of rows); past that the cache starts again


class KeptLinesStylesCache(StylesCache):
    """`StylesCache` for a line-API widget without border, top or bottom padding, outline or
    hatch (anything else is styled by position, as Textual does). Padding left and right is
    the same on every line, so a line's styled form still depends only on its content. The
    kept lines outlive Textual's `clear` (every whole repaint: a log's new line, a scroll to
    its end), as their key holds everything their styling reads."""

    def __init__(self) -> None:
        super().__init__()
        # id(content strip) → (that strip, what else its styling depends on, styled strip)
        self._styled: dict[int, tuple[Strip, tuple[Any, ...], Strip]] = {}
        self._plain = False

    def render_widget(self, widget: Widget, crop: Any) -> list[Strip]:
        styles = widget.styles
        padding = styles.padding
        self._plain = (not any(edge for edge, _ in styles.border)
                       and not padding.top and not padding.bottom  # (side padding: per line)
                       and not any(edge for edge, _ in styles.outline)
                       and not styles.has_rule("hatch") and styles.text_opacity == 1.0)
        return super().render_widget(widget, crop)

    def render_line(self, styles: Any, y: int, size: Any, content_size: Any, padding: Any,
                    base_background: Any, background: Any, render_content_line: Any,
                    *rest: Any) -> Strip:
        if not self._plain:
            return super().render_line(styles, y, size, content_size, padding,
                                       base_background, background, render_content_line, *rest)
        content = render_content_line(y)
        # Everything a plain line's styling reads (Textual's StylesCache.render_line, case C):
        # widths, side padding, the backgrounds, tint, and opacity and the theme in `rest`.
        key = (size, content_size, padding, base_background, background, styles.tint, *rest)
        kept = self._styled.get(id(content))
        if kept is not None and kept[0] is content and kept[1] == key:
            return kept[2]
        styled = super().render_line(styles, y, size, content_size, padding, base_background,
                                     background, lambda _y: content, *rest)
        if len(self._styled) >= KEEP:
            self._styled.clear()
        self._styled[id(content)] = (content, key, styled)
        return styled


# A mixin, listed before the widget class: Textual takes a widget's CSS (and type names for
# selectors) from its first DOMNode base only, so the mixin must not be one at run time.
if TYPE_CHECKING:
    _WidgetMixin = Widget
else:
    _WidgetMixin = object


class KeepsStyles(_WidgetMixin):
    """For a widget that keeps what it worked out from its styles (its `rich_style`, lines
    drawn with it): asking the DOM for them on every line drawn was a third of a redraw.
    Whatever it keeps is forgotten (`forget_styles`) when focus, theme or CSS change, and on a
    whole repaint, which is how styles set in code (and an ancestor's) arrive."""

    def forget_styles(self) -> None:
        """Drop what was worked out from the styles."""

    def notify_style_update(self) -> None:
        self.forget_styles()
        super().notify_style_update()

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> Self:
        if not regions:
            self.forget_styles()
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
