"""Signatures and legal footers: what is added below an agent's reply, per agent and channel.

A signature is the agent's to change (for one reply in the composer, or for good with
`omnitui agent signature set`); a footer is the shop's (a legal notice an email must carry), set
only in the config and added to every reply an agent writes on that channel. Email channels sign
by default; Telegram and chat only when a signature is configured for the channel or an agent
set one for it. Both are plain text with placeholders, checked when they are set so a typo is one
sentence then, not a broken reply later. Automatic messages (rating requests,
acknowledgements) carry neither.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from omnitui.core.errors import ActionError
from omnitui.core.sanitize import clean_text
from omnitui.store.db import Store, Tx

if TYPE_CHECKING:
    from omnitui.core.agents import AgentRow

# Placeholder → what it stands for (README "Signatures" lists the same).
PLACEHOLDERS: dict[str, str] = {
    "agent_name": "the agent's user name (ann)",
    "agent_display_name": "the agent's name as customers see it (Ann Kowalska)",
    "agent_first_name": "the first word of that name (Ann)",
    "shop_name": "[omnitui] shop_name",
    "channel": "the channel's name in the config (mail)",
    "channel_kind": "email, telegram or chat",
    "shop_address": "the shop's address on that channel (the support mailbox; empty on chat)",
}
DEFAULT_EMAIL_SIGNATURE = "{agent_display_name}\n{shop_name}"
ALL_CHANNELS = ""  # agent_signature.channel of the signature used on every signing channel
MAX_SIGNATURE_CHARS = 2000
SEPARATOR = "\n\n"


def placeholders_in(template: str) -> list[str]:
    """The placeholder names a template uses; ValueError (one sentence) for an unknown one or a
    malformed brace. `{{` and `}}` stand for literal braces."""
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        raise ValueError("a brace in it is not closed or not opened; write {{ or }} for a "
                         "brace itself") from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (
                f":{spec}" if spec else "") + "}"
            raise ValueError(f"{shown} is not a placeholder; use "
                             + ", ".join("{" + p + "}" for p in PLACEHOLDERS))
        names.append(name)
    return names


def check_template(template: str, what: str) -> str:
    """`template` cleaned and checked, or ActionError naming `what` ("ann's signature")."""
    text = clean_text(template).strip("\n")
    if len(text) > MAX_SIGNATURE_CHARS:
        raise ActionError(f"{what[0].upper()}{what[1:]} can be at most {MAX_SIGNATURE_CHARS} "
                          "characters.")
    try:
        placeholders_in(text)
    except ValueError as exc:
        raise ActionError(f"In {what}: {exc}.") from None
    return text


def fill(template: str, values: Mapping[str, str]) -> str:
    """The template with its placeholders filled; a line that only an empty value filled goes
    (no blank line where a shop has no name)."""
    table = {name: values.get(name, "") for name in PLACEHOLDERS}
    lines = []
    for raw in template.split("\n"):
        line = raw.format_map(table)
        if line.strip() or not placeholders_in(raw):
            lines.append(line)
    return "\n".join(lines).strip("\n")


@dataclass(frozen=True)
class ChannelSigning:
    """One channel's part of the config."""

    kind: str
    signature: str | None  # the channel's default for agents without their own; None: not set
    footer: str
    address: str

    @property
    def signs(self) -> bool:
        """Whether agents' own general signatures apply here (email, or a configured one)."""
        return self.kind == "email" or self.signature is not None


@dataclass(frozen=True)
class Signing:
    """The config's signature rules, handed to core by the CLI and the console."""

    shop_name: str = ""
    channels: Mapping[str, ChannelSigning] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Any) -> Signing:
        channels = {
            name: ChannelSigning(
                kind=str(ch.kind),
                signature=getattr(ch, "signature", None),
                footer=getattr(ch, "footer", None) or "",
                address=str(getattr(ch, "address", None) or (
                    "@" + ch.bot_username if getattr(ch, "bot_username", None) else "")),
            )
            for name, ch in settings.channels.items()
        }
        return cls(shop_name=getattr(settings, "shop_name", "") or "", channels=channels)

    def values(self, agent: AgentRow, channel: str) -> dict[str, str]:
        conf = self.channels.get(channel)
        first = (agent.name or agent.username).split()
        return {
            "agent_name": agent.username,
            "agent_display_name": agent.name or agent.username,
            "agent_first_name": first[0] if first else agent.username,
            "shop_name": self.shop_name,
            "channel": channel,
            "channel_kind": conf.kind if conf else "",
            "shop_address": conf.address if conf else "",
        }

    def footer(self, agent: AgentRow, channel: str) -> str:
        conf = self.channels.get(channel)
        return fill(conf.footer, self.values(agent, channel)) if conf and conf.footer else ""


@dataclass(frozen=True)
class SignatureFor:
    """What goes below a reply on one channel: the signature (editable for this reply) and the
    footer (not), both filled in."""

    signature: str
    footer: str


def own_signatures(store: Store, agent_id: int) -> dict[str, str]:
    """An agent's own templates by channel ('' for every signing channel)."""
    with store.read() as tx:
        return own_signatures_in(tx, agent_id)


def own_signatures_in(tx: Tx, agent_id: int) -> dict[str, str]:
    return {r[0]: r[1] for r in tx.all(
        "SELECT channel, text FROM agent_signature WHERE agent_id = ?", (agent_id,))}


def signature_for_in(tx: Tx, signing: Signing, agent: AgentRow, channel: str) -> SignatureFor:
    """The agent's signature and the channel's footer for a reply on `channel`: the agent's
    own for that channel; else, where the channel signs, the agent's general one, the
    channel's configured one, or (email) the built-in one."""
    own = own_signatures_in(tx, agent.id)
    conf = signing.channels.get(channel)
    template = own.get(channel)
    if template is None and conf is not None and conf.signs:
        template = own.get(ALL_CHANNELS)
        if template is None:
            template = conf.signature if conf.signature is not None else DEFAULT_EMAIL_SIGNATURE
    values = signing.values(agent, channel)
    return SignatureFor(fill(template, values) if template else "",
                        signing.footer(agent, channel))


def signature_for(store: Store, signing: Signing, agent: AgentRow, channel: str) -> SignatureFor:
    with store.read() as tx:
        return signature_for_in(tx, signing, agent, channel)


def signed(body: str, signature: str, footer: str) -> str:
    """The text that leaves: the reply, its signature, then the footer, a blank line apart."""
    return SEPARATOR.join(part for part in (body.strip("\n"), signature.strip("\n"),
                                            footer.strip("\n")) if part.strip())
