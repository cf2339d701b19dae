"""TOML → validated settings. Every error names the key and the file; secrets come from *_env/*_cmd.

The schema is the dataclasses below: a field's type is what the TOML value must be, a field with no
default is required, and any key that is not a field is an error.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import subprocess
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from omnitui.config_database import DATABASE_KEYS, DatabaseSettings, parse_database
from omnitui.config_files import ConsoleFiles, parse_console_files
from omnitui.config_inbox import InboxSettings, parse_inbox
from omnitui.config_recognition import parse_recognition
from omnitui.core.recognition_options import RecognitionSettings
from omnitui.store.database import Database


class ConfigError(Exception):
    """A config problem, phrased as one sentence a sysadmin can act on."""


@dataclass(frozen=True)
class ChatSettings:
    kind: str
    socket: str = "chat.sock"
    tcp: str | None = None
    token_env: str | None = None
    token_cmd: str | None = None
    rate_limit: int = 20  # messages per visitor
    rate_window: float = 10.0  # seconds
    offline_text: str = (
        "We are away right now. Leave a message and we will answer as soon as we are back."
    )
    # service levels: appended to `offline` when no email address is known for the visitor, so
    # an answer written next morning can reach them by email (see `email_fallback_after`).
    offline_ask_email_text: str = (
        "If you leave your email address, we will send our answer there in case you have left."
    )
    # service levels: a reply to a visitor who is not connected and was not seen for this long
    # goes by email instead, when an email address is known (a duration like "10m").
    email_fallback_after: str = "10m"
    csat: bool = True
    # website chat gateway (docs/chat-web.md): HTTP + WebSocket on host:port, off when None
    web: str | None = None
    web_origins: list[str] = field(default_factory=list)  # pages allowed to open the chat
    web_trusted_proxies: list[str] = field(default_factory=lambda: ["127.0.0.1", "::1"])
    web_address_limit: int = 60  # sessions, uploads and WebSocket connects per address a minute
    web_connections_per_address: int = 50
    web_upload_max: int | str = "10MB"
    web_upload_types: list[str] = field(default_factory=lambda: list(DEFAULT_UPLOAD_TYPES))
    web_consent_text: str = ""  # empty: the pre-chat form has no consent checkbox
    web_language: str = "en"
    web_strings: dict[str, str] = field(default_factory=dict)
    # signatures (core/signatures.py): the default signature of agents without their own and a
    # footer added to every agent reply; placeholders such as {agent_display_name}
    signature: str | None = None
    footer: str | None = None

    @property
    def web_upload_bytes(self) -> int:
        return parse_size(self.web_upload_max)


DEFAULT_UPLOAD_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf",
                        "text/plain")
_SIZE_UNITS = {"": 1, "B": 1, "KB": 1000, "KIB": 1024, "MB": 1000**2, "MIB": 1024**2,
               "GB": 1000**3, "GIB": 1024**3}


def parse_size(value: int | str) -> int:
    """Bytes from an integer or a string such as "10MB", "512 KiB"; ValueError otherwise."""
    if isinstance(value, int):
        number, unit = value, ""
    else:
        text = value.strip().upper()
        digits = text.rstrip("KMGIB ")
        unit = text[len(digits):].strip()
        if not digits.isdigit() or unit not in _SIZE_UNITS:
            raise ValueError(f"{value!r} is not a size such as \"10MB\" or \"512KB\"")
        number = int(digits)
    if number <= 0:
        raise ValueError("a size must be more than zero")
    return number * _SIZE_UNITS[unit]


@dataclass(frozen=True)
class EmailSettings:
    kind: str
    address: str
    imap_host: str
    smtp_host: str
    username: str
    imap_port: int = 993
    imap_security: str = "tls"
    smtp_port: int = 587
    smtp_security: str = "starttls"
    password_env: str | None = None
    password_cmd: str | None = None
    mailbox: str = "INBOX"
    display_name: str | None = None
    poll_interval: float = 60.0
    idle: bool = True
    batch_size: int = 200
    sent_folder: str | None = None  # IMAP APPEND a copy there; off by default
    timeout: float = 30.0
    csat: bool = True
    auto_ack: bool = False
    auto_ack_text: str | None = None  # sla: the after-hours acknowledgement; None = default
    tls_ca_file: str | None = None  # email: also trust this CA (a self-hosted server's own cert)
    reply_token: str = "plus"  # "plus": Reply-To support+TOKEN@ and [ref:TOKEN]; "off": neither
    attachment_max: int | str = "20MB"  # the largest file an agent sends on this channel
    # signatures (core/signatures.py): the default signature of agents without their own and a
    # footer added to every agent reply; placeholders such as {agent_display_name}
    signature: str | None = None
    footer: str | None = None


@dataclass(frozen=True)
class TelegramSettings:
    kind: str
    token_env: str | None = None
    token_cmd: str | None = None
    base_url: str | None = None
    base_file_url: str | None = None
    bot_username: str | None = None
    allow_groups: bool = False
    poll_timeout: int = 30
    csat: bool = True
    auto_ack: bool = False
    auto_ack_text: str | None = None  # sla: the after-hours acknowledgement; None = default
    # signatures (core/signatures.py): the default signature of agents without their own and a
    # footer added to every agent reply; placeholders such as {agent_display_name}
    signature: str | None = None
    footer: str | None = None


CHANNEL_KINDS: dict[str, type] = {
    "chat": ChatSettings,
    "email": EmailSettings,
    "telegram": TelegramSettings,
}
ChannelSettings = ChatSettings | EmailSettings | TelegramSettings


@dataclass(frozen=True)
class Settings:
    """Everything omnitui reads from the config file, validated."""

    path: Path | None
    data_dir: Path
    timezone: str = "UTC"
    shop_name: str = ""  # {shop_name} in signatures and footers
    database_settings: DatabaseSettings = field(default_factory=DatabaseSettings)
    # A data dir shared by several Unix users (agents) and a service hub. None: decided by the
    # data dir itself (see omnitui.install.is_shared_install).
    shared: bool | None = None
    channels: dict[str, ChannelSettings] = field(default_factory=dict)
    hours: dict[str, Any] = field(default_factory=dict)
    sla: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    bidi: str = "auto"  # [console] bidi: who reorders right-to-left text (omnitui/tui/rtl.py)
    inbox: InboxSettings = field(default_factory=InboxSettings)  # [inbox] and [views.*]
    recognition: RecognitionSettings = field(default_factory=RecognitionSettings)
    files: ConsoleFiles = field(default_factory=ConsoleFiles)  # [console] files_dir, open_command
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "omnitui.db"

    @cached_property
    def database(self) -> Database:
        """The store: the SQLite file in the data dir, or `[omnitui] database` (PostgreSQL)."""
        db = self.database_settings
        if db.url is None:
            return Database(path=self.db_path)
        password = None
        if db.password_env or db.password_cmd:
            password = resolve_secret(db, "password", "omnitui.database")
        return Database(url=db.url, password=password)

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / "hub.lock"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "hub.log"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def channel_path(self, relative: str) -> Path:
        path = Path(relative).expanduser()
        return path if path.is_absolute() else self.data_dir / path


TOP_LEVEL_TABLES = {"omnitui", "channels", "hours", "sla", "keys", "console", "inbox", "views",
                    "recognition"}
OMNITUI_KEYS = {"data_dir", "timezone", "shared", "shop_name"} | DATABASE_KEYS
CONSOLE_KEYS = {"bidi", "files_dir", "open_command"}
BIDI_MODES = ("auto", "app", "terminal")


def default_config_path() -> Path:
    env = os.environ.get("OMNITUI_CONFIG")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_config_dir("omnitui", appauthor=False)) / "config.toml"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("omnitui", appauthor=False))


def load_settings(path: Path | None = None, *, data_dir: Path | None = None) -> Settings:
    """Read and validate a config file. A missing default file means "all defaults"."""
    explicit = path is not None or "OMNITUI_CONFIG" in os.environ
    cfg_path = path or default_config_path()
    if not cfg_path.exists():
        if explicit:
            raise ConfigError(f"Config file {cfg_path} does not exist.")
        try:
            database = parse_database({}, "the environment")
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        return Settings(path=None, data_dir=(data_dir or default_data_dir()),
                        database_settings=database)
    try:
        raw = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{cfg_path} is not valid TOML: {exc}.") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read {cfg_path}: {exc.strerror}.") from None
    return parse_settings(raw, cfg_path, data_dir=data_dir)


def parse_settings(
    raw: dict[str, Any], cfg_path: Path | None, *, data_dir: Path | None = None
) -> Settings:
    where = str(cfg_path) if cfg_path else "the config"
    for key in raw:
        if key not in TOP_LEVEL_TABLES:
            raise ConfigError(f"Unknown key '{key}' in {where}.")
        if not isinstance(raw[key], dict):
            raise ConfigError(f"'{key}' in {where} must be a table.")
    top = raw.get("omnitui", {})
    for key in top:
        if key not in OMNITUI_KEYS:
            raise ConfigError(f"Unknown key 'omnitui.{key}' in {where}.")
    tz = top.get("timezone", "UTC")
    if not isinstance(tz, str):
        raise ConfigError(f"'omnitui.timezone' in {where} must be a string.")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"'omnitui.timezone' in {where} names an unknown time zone '{tz}'."
        ) from None
    if data_dir is None:
        dd = top.get("data_dir")
        if dd is None:
            data_dir = default_data_dir()
        elif not isinstance(dd, str):
            raise ConfigError(f"'omnitui.data_dir' in {where} must be a string.")
        else:
            data_dir = Path(dd).expanduser()
            if not data_dir.is_absolute() and cfg_path is not None:
                data_dir = cfg_path.parent / data_dir
    shared = top.get("shared")
    if shared is not None and not isinstance(shared, bool):
        raise ConfigError(f"'omnitui.shared' in {where} must be true or false.")
    shop_name = top.get("shop_name", "")
    if not isinstance(shop_name, str):
        raise ConfigError(f"'omnitui.shop_name' in {where} must be a string.")
    try:
        database = parse_database(top, where)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    channels: dict[str, ChannelSettings] = {}
    for name, table in raw.get("channels", {}).items():
        if not isinstance(table, dict):
            raise ConfigError(f"'channels.{name}' in {where} must be a table.")
        kind = table.get("kind")
        if kind not in CHANNEL_KINDS:
            raise ConfigError(
                f"'channels.{name}.kind' in {where} must be one of "
                f"{', '.join(sorted(CHANNEL_KINDS))}, not {kind!r}."
            )
        channels[name] = _build(CHANNEL_KINDS[kind], table, f"channels.{name}", where)
        _check_channel(name, channels[name], where)
    keys = raw.get("keys", {})
    for k, v in keys.items():
        if not isinstance(v, str):
            raise ConfigError(f"'keys.{k}' in {where} must be a string such as \"ctrl+k\".")
    console = raw.get("console", {})
    for key in console:
        if key not in CONSOLE_KEYS:
            raise ConfigError(f"Unknown key 'console.{key}' in {where}.")
    bidi = console.get("bidi", "auto")
    if bidi not in BIDI_MODES:
        raise ConfigError(f"'console.bidi' in {where} must be one of "
                          f"{', '.join(repr(m) for m in BIDI_MODES)}, not {bidi!r}.")
    settings = Settings(
        path=cfg_path,
        data_dir=data_dir,
        timezone=tz,
        shop_name=shop_name,
        database_settings=database,
        shared=shared,
        channels=channels,
        hours=raw.get("hours", {}),
        sla=raw.get("sla", {}),
        keys=keys,
        bidi=bidi,
        inbox=_inbox(raw, where, set(channels)),
        recognition=_recognition(raw, where),
        files=_console_files(console, where),
        raw=raw,
    )
    _validate_hours_and_sla(settings, where)
    return settings


def _console_files(console: dict[str, Any], where: str) -> ConsoleFiles:
    try:
        return parse_console_files(console, where)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _inbox(raw: dict[str, Any], where: str, channels: set[str]) -> InboxSettings:
    try:
        return parse_inbox(raw.get("inbox", {}), raw.get("views", {}), where, channels)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _recognition(raw: dict[str, Any], where: str) -> RecognitionSettings:
    try:
        return parse_recognition(raw.get("recognition", {}), where)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _validate_hours_and_sla(settings: Settings, where: str) -> None:
    # Imported late: core has no dependency on config, and this keeps config import light.
    from omnitui.core.hours import BusinessHours
    from omnitui.core.sla import SlaPolicy

    try:
        BusinessHours.from_config(settings.hours, settings.timezone)
    except ValueError as exc:
        raise ConfigError(f"In [hours] of {where}: {exc}") from None
    try:
        SlaPolicy.from_config(settings.sla)
    except ValueError as exc:
        raise ConfigError(f"In [sla] of {where}: {exc}") from None


def _build(cls: type, table: dict[str, Any], prefix: str, where: str) -> Any:
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key in table:
        if key not in names:
            raise ConfigError(f"Unknown key '{prefix}.{key}' in {where}.")
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in table:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"Missing key '{prefix}.{f.name}' in {where}.")
            continue
        value = table[f.name]
        if not _type_ok(value, hints[f.name]):
            raise ConfigError(
                f"'{prefix}.{f.name}' in {where} must be {_type_name(hints[f.name])}, "
                f"not {type(value).__name__}."
            )
        kwargs[f.name] = float(value) if hints[f.name] is float else value
    return cls(**kwargs)


def _type_ok(value: Any, hint: Any) -> bool:
    if get_origin(hint) is list:
        return isinstance(value, list) and all(_type_ok(v, get_args(hint)[0]) for v in value)
    if get_origin(hint) is dict:
        return isinstance(value, dict) and all(
            _type_ok(v, get_args(hint)[1]) for v in value.values())
    options = get_args(hint) if get_origin(hint) is not None else (hint,)
    for option in options:
        if option is type(None) and value is None:
            return True
        if option is bool and isinstance(value, bool):
            return True
        if option is int and isinstance(value, int) and not isinstance(value, bool):
            return True
        if option is float and isinstance(value, int | float) and not isinstance(value, bool):
            return True
        if option is str and isinstance(value, str):
            return True
    return False


def _type_name(hint: Any) -> str:
    if get_origin(hint) is list:
        return f"a list of {_type_name(get_args(hint)[0]).removeprefix('a ')}s"
    if get_origin(hint) is dict:
        return f"a table of {_type_name(get_args(hint)[1]).removeprefix('a ')}s"
    options = [o for o in (get_args(hint) or (hint,)) if o is not type(None)]
    words = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
    return " or ".join(words.get(o, str(o)) for o in options)


def _check_channel(name: str, ch: ChannelSettings, where: str) -> None:
    prefix = f"channels.{name}"
    _check_signature(prefix, ch, where)
    if isinstance(ch, EmailSettings):
        for key in ("imap_security", "smtp_security"):
            if getattr(ch, key) not in ("tls", "starttls", "none"):
                raise ConfigError(f"'{prefix}.{key}' in {where} must be tls, starttls or none.")
        if not ch.password_env and not ch.password_cmd:
            raise ConfigError(f"'{prefix}' in {where} needs password_env or password_cmd.")
        if ch.reply_token not in ("plus", "off"):
            raise ConfigError(f"'{prefix}.reply_token' in {where} must be plus or off.")
        try:
            parse_size(ch.attachment_max)
        except ValueError as exc:
            raise ConfigError(f"'{prefix}.attachment_max' in {where}: {exc}.") from None
    if isinstance(ch, TelegramSettings) and not ch.token_env and not ch.token_cmd:
        raise ConfigError(f"'{prefix}' in {where} needs token_env or token_cmd.")
    if isinstance(ch, ChatSettings) and ch.tcp:
        host, _, port = ch.tcp.rpartition(":")
        if host not in ("127.0.0.1", "localhost", "::1", "[::1]") or not port.isdigit():
            raise ConfigError(f"'{prefix}.tcp' in {where} must be a loopback host:port.")
        if not ch.token_env and not ch.token_cmd:
            raise ConfigError(f"'{prefix}' in {where} needs token_env or token_cmd with tcp.")
    if isinstance(ch, ChatSettings):
        from omnitui.core.hours import parse_duration

        try:
            parse_duration(ch.email_fallback_after)
        except ValueError as exc:
            raise ConfigError(f"'{prefix}.email_fallback_after' in {where}: {exc}") from None
        _check_web(prefix, ch, where)


def _check_signature(prefix: str, ch: ChannelSettings, where: str) -> None:
    """`signature` and `footer`: placeholders are checked now, not at the first reply."""
    from omnitui.core.signatures import placeholders_in

    for key in ("signature", "footer"):
        value = getattr(ch, key)
        if value is None:
            continue
        try:
            placeholders_in(value)
        except ValueError as exc:
            raise ConfigError(f"'{prefix}.{key}' in {where}: {exc}.") from None


def _check_web(prefix: str, ch: ChatSettings, where: str) -> None:
    """The website gateway's keys (docs/chat-web.md); only checked when `web` is set."""
    if ch.web is None:
        return
    host, _, port = ch.web.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"'{prefix}.web' in {where} must be host:port, such as "
                          "\"127.0.0.1:8089\".")
    if not ch.web_origins:
        raise ConfigError(f"'{prefix}.web_origins' in {where} must list the pages' origins "
                          "(such as \"https://shop.example\") when 'web' is set.")
    for origin in ch.web_origins:
        scheme, sep, rest = origin.partition("://")
        if scheme not in ("http", "https") or not sep or not rest or "/" in rest:
            raise ConfigError(f"'{prefix}.web_origins' in {where}: {origin!r} is not an origin "
                              "such as \"https://shop.example\" (scheme, host, optional port).")
    import ipaddress

    for proxy in ch.web_trusted_proxies:
        try:
            ipaddress.ip_address(proxy)
        except ValueError:
            raise ConfigError(f"'{prefix}.web_trusted_proxies' in {where}: {proxy!r} is not an "
                              "IP address.") from None
    for key in ("web_address_limit", "web_connections_per_address"):
        if getattr(ch, key) < 1:
            raise ConfigError(f"'{prefix}.{key}' in {where} must be at least 1.")
    try:
        ch.web_upload_bytes  # noqa: B018 - parsing is the check
    except ValueError as exc:
        raise ConfigError(f"'{prefix}.web_upload_max' in {where}: {exc}.") from None
    for kind in ch.web_upload_types:
        main, sep, sub = kind.partition("/")
        if not sep or not main or not sub or any(c.isspace() for c in kind):
            raise ConfigError(f"'{prefix}.web_upload_types' in {where}: {kind!r} is not a "
                              "media type such as \"image/png\".")
    from omnitui.channels.chat.web.widget_strings import LANGUAGES, WIDGET_STRINGS

    if ch.web_language not in LANGUAGES:
        raise ConfigError(f"'{prefix}.web_language' in {where} must be one of "
                          f"{', '.join(LANGUAGES)}, not {ch.web_language!r}.")
    for key in ch.web_strings:
        if key not in WIDGET_STRINGS:
            raise ConfigError(f"'{prefix}.web_strings.{key}' in {where} names no text of the "
                              f"widget; its texts are: {', '.join(WIDGET_STRINGS)}.")


def resolve_secret(settings: object, base: str, label: str) -> str:
    """Read `<base>_env` or `<base>_cmd` of a channel's settings; errors name the key."""
    env_name = getattr(settings, f"{base}_env", None)
    cmd = getattr(settings, f"{base}_cmd", None)
    if env_name:
        value = os.environ.get(env_name)
        if not value:
            raise ConfigError(f"{label}: environment variable {env_name} ({base}_env) is not set.")
        return value
    if cmd:
        try:
            proc = subprocess.run(
                shlex.split(cmd), capture_output=True, text=True, timeout=20, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConfigError(f"{label}: {base}_cmd could not run ({exc}).") from None
        if proc.returncode != 0 or not proc.stdout.strip():
            raise ConfigError(f"{label}: {base}_cmd exited {proc.returncode} without a secret.")
        return proc.stdout.strip().splitlines()[0]
    raise ConfigError(f"{label}: neither {base}_env nor {base}_cmd is set.")
