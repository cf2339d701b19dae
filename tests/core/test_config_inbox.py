"""[inbox] and [views.NAME]: valid tables parse; every mistake is one sentence naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from omnitui.config import ConfigError, load_settings

CHANNELS = '[channels.chat]\nkind = "chat"\n[channels.mail]\nkind = "email"\naddress = "a@b"\n' \
           'imap_host = "i"\nsmtp_host = "s"\nusername = "u"\npassword_env = "P"\n'


def _load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "config.toml"
    path.write_text(text + CHANNELS, encoding="utf-8")
    return load_settings(path)


def test_views_and_notices_parse(tmp_path: Path) -> None:
    settings = _load(tmp_path, '[inbox]\ndefault_view = "vip"\nbell = true\nnotify_new = false\n'
                               '[views.vip]\ntitle = "VIP waiting"\nscope = "needs_reply"\n'
                               'label = "VIP"\nchannel = "mail"\nunread = true\n')
    inbox = settings.inbox
    assert (inbox.default_view, inbox.bell, inbox.notify_new, inbox.notify_reply) == (
        "vip", True, False, True)
    (view,) = inbox.views
    assert (view.title, view.scope, view.label, view.channel, view.unread, view.status) == (
        "VIP waiting", "needs_reply", "vip", "mail", True, "active")


def test_defaults_without_tables(tmp_path: Path) -> None:
    inbox = _load(tmp_path, "").inbox
    assert inbox.default_view == "needs_reply" and inbox.notify_breach and not inbox.bell
    assert inbox.views == ()


@pytest.mark.parametrize(("text", "sentence"), [
    ("[inbox]\nbel = true\n", "Unknown key 'inbox.bel' in"),
    ("[inbox]\nbell = \"yes\"\n", "'inbox.bell' in .* must be true or false."),
    ("[inbox]\ndefault_view = \"urgent\"\n", "'inbox.default_view' in .* not 'urgent'."),
    ("[views.x]\ncolour = \"red\"\n", "Unknown key 'views.x.colour' in .*a view filters by"),
    ("[views.x]\nstatus = \"done\"\n", "'views.x.status' in .* must be one of active, open"),
    ("[views.x]\nscope = \"team\"\n", "'views.x.scope' in .* must be one of needs_reply"),
    ("[views.x]\nchannel = \"sms\"\n", "'views.x.channel' in .* names no channel of "
                                        r"\[channels\] \(chat, mail\): 'sms'."),
    ("[views.x]\nunread = \"yes\"\n", "'views.x.unread' in .* must be true or false."),
    ("[views.x]\nlabel = \"  \"\n", "'views.x.label' in .* must not be empty."),
    ("[views.mine]\nlabel = \"vip\"\n", "'views.mine' in .* has the name of a built-in view"),
    ("views = 3\n", "'views' in .* must be a table."),
])
def test_mistakes_name_the_key(tmp_path: Path, text: str, sentence: str) -> None:
    with pytest.raises(ConfigError, match=sentence) as caught:
        _load(tmp_path, text)
    assert "\n" not in str(caught.value)
