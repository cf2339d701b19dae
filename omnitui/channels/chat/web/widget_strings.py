"""The website widget's texts by key: what `web_strings` and a page's `data-text-*` attributes
may override (README, "Website chat").

The texts themselves live in `static/widget.js` (English, Polish, Russian, Arabic), where the
browser needs them; this list lets the config name a mistyped key, and a test holds it equal to
the widget's English table.
"""

from __future__ import annotations

LANGUAGES = ("en", "pl", "ru", "ar")

WIDGET_STRINGS = (
    "launcher", "title", "close", "intro", "name", "email", "start", "consent_needed",
    "email_needed", "message", "send", "attach", "offline_title", "offline_intro",
    "offline_sent", "sending", "sent", "not_sent", "you", "shop", "typing", "rate_ask",
    "rate_n", "rate_thanks", "too_big", "bad_type", "upload_failed", "too_long",
    "reconnecting", "unavailable", "not_allowed", "log", "files", "remove",
)
