"""The conversation screen's actions on the customer behind it: split off a merged customer,
and the Telegram deep link that joins their Telegram account (both also in the CLI:
`customer unmerge`, `customer link`)."""

from __future__ import annotations

from typing import Any

from omnitui.config import TelegramSettings
from omnitui.core.merge import link_token, unmerge_customer
from omnitui.store.merge_queries import merges_into


class CustomerActions:
    """Needs `self.app`, `self.store`, `self.agent`, `self.detail`, `self.composer`."""

    app: Any
    store: Any
    agent: Any
    detail: Any
    composer: Any

    def _do(self, fn: Any, *args: Any, done: str | None = None, **kwargs: Any) -> bool: ...

    def _ask(self, dialog: Any, then: Any) -> None: ...

    def action_reply(self) -> None: ...

    def action_unmerge(self) -> None:
        from omnitui.tui.dialogs.unmerge import UnmergeDialog

        if self.detail is None:
            return
        merges = self.app.attempt(merges_into, self.store, self.detail.customer_id)
        if not merges:
            if merges is not None:
                self.app.notify("Nobody was merged into this customer.", severity="warning")
            return

        def save(merged: int | None) -> None:
            if merged is not None:
                name = next(m.merged_name for m in merges if m.merged_id == merged)
                self._do(unmerge_customer, self.store, merged, self.agent,
                         done=f"{name} is a customer of their own again.")

        self._ask(UnmergeDialog(self.detail.customer, merges, self.app.tz), save)

    def action_telegram_link(self) -> None:
        from omnitui.channels.telegram.links import deep_link
        from omnitui.tui.dialogs.telegram_link import TelegramLinkDialog

        if self.detail is None:
            return
        bots = [c.bot_username for c in self.app.settings.channels.values()
                if isinstance(c, TelegramSettings) and c.bot_username]
        if not bots:
            self.app.notify("Set bot_username in the Telegram channel's config to make deep "
                            "links.", severity="error")
            return
        token = self.app.attempt(link_token, self.store, self.detail.customer_id,
                                 agent=self.agent)
        if token is None:
            return
        url = self.app.attempt(deep_link, bots[0], token)
        if url is None:
            return

        def chosen(put_in_reply: bool | None) -> None:
            if put_in_reply:
                self.composer.insert(url)
                self.action_reply()

        self._ask(TelegramLinkDialog(self.detail.customer, url), chosen)
