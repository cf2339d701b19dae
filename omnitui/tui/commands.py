"""Command palette: every registry binding that makes sense on the current screen.

Read from the same keymap registry as the footer and help, so nothing is palette-only or
key-only, and each hit shows the key that does the same thing.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from omnitui.tui import keymap


class ConsoleCommands(Provider):
    """Console actions for the screen under the palette."""

    def _specs(self) -> list[keymap.KeySpec]:
        scopes = {"app", *getattr(self.screen, "SCOPES", ())}
        return [s for s in keymap.REGISTRY if s.palette and s.scope in scopes]

    def _label(self, spec: keymap.KeySpec) -> str:
        keys = keymap.effective_keys(spec, getattr(self.app, "keys", {}))
        return f"{spec.description} ({keymap.pretty_keys(keys)})"

    async def _run(self, spec: keymap.KeySpec) -> None:
        app_wide = spec.scope == "app" or spec.action.startswith("app.")
        action = spec.action if app_wide else f"screen.{spec.action}"
        await self.app.run_action(action, self.screen)

    async def discover(self) -> Hits:
        for spec in self._specs():
            yield DiscoveryHit(self._label(spec), partial(self._run, spec),
                               help=keymap.SCOPES[spec.scope])

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for spec in self._specs():
            label = self._label(spec)
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), partial(self._run, spec),
                          help=keymap.SCOPES[spec.scope])
