"""Config: the contract keys parse; anything wrong is one sentence naming the key and file."""

from __future__ import annotations

from pathlib import Path

import pytest

from omnitui.config import (
    ChatSettings,
    ConfigError,
    EmailSettings,
    load_settings,
    parse_settings,
    resolve_secret,
)

ROOT = Path(__file__).resolve().parents[2]


def test_sample_config_works_as_is() -> None:
    s = load_settings(ROOT / "sample.toml")
    assert isinstance(s.channels["chat"], ChatSettings)
    assert s.timezone == "Europe/Warsaw" and s.data_dir.is_absolute()
    assert s.channel_path("chat.sock") == s.data_dir / "chat.sock"


def test_design_example_with_every_channel(tmp_path: Path) -> None:
    raw = {
        "omnitui": {"data_dir": str(tmp_path), "timezone": "Europe/Warsaw"},
        "channels": {
            "chat": {"kind": "chat", "socket": "chat.sock"},
            "mail": {"kind": "email", "address": "support@shop.example",
                     "imap_host": "imap.shop.example", "imap_port": 993, "imap_security": "tls",
                     "smtp_host": "smtp.shop.example", "smtp_port": 587,
                     "smtp_security": "starttls", "username": "support@shop.example",
                     "password_env": "OMNITUI_MAIL_PASSWORD", "mailbox": "INBOX"},
            "bot": {"kind": "telegram", "token_env": "OMNITUI_TELEGRAM_TOKEN"},
        },
        "hours": {"mon-fri": "09:00-18:00", "sat": "10:00-14:00"},
        "sla": {"chat": "2m", "telegram": "15m", "email": "1h"},
    }
    s = parse_settings(raw, tmp_path / "c.toml")
    assert isinstance(s.channels["mail"], EmailSettings)
    assert s.channels["mail"].imap_port == 993


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"omnitui": {"colour": "red"}}, "'omnitui.colour'"),
        ({"chanels": {}}, "'chanels'"),
        ({"channels": {"x": {"kind": "fax"}}}, "channels.x.kind"),
        ({"channels": {"c": {"kind": "chat", "sockett": "a"}}}, "'channels.c.sockett'"),
        ({"channels": {"c": {"kind": "chat", "rate_limit": "many"}}}, "channels.c.rate_limit"),
        ({"channels": {"c": {"kind": "chat", "tcp": "0.0.0.0:80"}}}, "loopback"),
        ({"channels": {"c": {"kind": "chat", "tcp": "127.0.0.1:7788"}}}, "token_env"),
        ({"channels": {"t": {"kind": "telegram"}}}, "token_env or token_cmd"),
        ({"channels": {"m": {"kind": "email", "address": "a"}}}, "channels.m.imap_host"),
        ({"omnitui": {"timezone": "Mars/Olympus"}}, "Mars/Olympus"),
        ({"hours": {"mon-fri": "9 to 5"}}, "[hours]"),
        ({"sla": {"chat": "soon"}}, "sla.chat"),
        ({"keys": {"app.quit": 5}}, "keys.app.quit"),
    ],
)
def test_errors_name_the_key(raw: dict, needle: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        parse_settings(raw, tmp_path / "omnitui.toml", data_dir=tmp_path)
    assert needle in str(err.value)
    assert "omnitui.toml" in str(err.value) or "[hours]" in needle


def test_secrets_from_env_and_cmd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ch = ChatSettings(kind="chat", token_env="OMNITUI_T1")
    with pytest.raises(ConfigError, match="OMNITUI_T1"):
        resolve_secret(ch, "token", "channels.chat")
    monkeypatch.setenv("OMNITUI_T1", "s3cret")
    assert resolve_secret(ch, "token", "channels.chat") == "s3cret"
    cmd = ChatSettings(kind="chat", token_cmd="printf 'from-cmd\\nsecond'")
    assert resolve_secret(cmd, "token", "channels.chat") == "from-cmd"
    bad = ChatSettings(kind="chat", token_cmd="false")
    with pytest.raises(ConfigError, match="exited 1"):
        resolve_secret(bad, "token", "channels.chat")


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")
