"""Canned answers: stored replies with variables, fallbacks and prompted placeholders.

`{customer.first_name|there}` is a variable with a fallback; `{agent.name}` and
`{conversation.id}` have none, so a missing value is an error that names it, never a silently
blank reply. `{?order number}` is a placeholder the agent is asked to fill. `{{` and `}}` are
literal braces.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from omnitui.core.errors import ActionError
from omnitui.core.permissions import Actor, require_admin
from omnitui.core.sanitize import clean_line, clean_text
from omnitui.store.db import Store

TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
VARIABLE = re.compile(r"^[a-z_]+(\.[a-z_]+)*$")


class CannedError(ActionError):
    """A template that cannot be rendered as asked."""


@dataclass(frozen=True, slots=True)
class Canned:
    id: int
    name: str
    title: str
    body: str
    language: str
    tags: str


def parse(body: str) -> list[tuple[str, str]]:
    """Split a template into ("text", s), ("var", name|fallback) and ("ask", label) parts."""
    parts: list[tuple[str, str]] = []
    pos = 0
    for m in TOKEN.finditer(body):
        if m.start() > pos:
            parts.append(("text", body[pos : m.start()]))
        token = m.group(0)
        if token in ("{{", "}}"):
            parts.append(("brace", token[0]))
        else:
            inner = m.group(1).strip()
            if inner.startswith("?"):
                label = inner[1:].strip()
                if not label:
                    raise CannedError("A placeholder '{?…}' needs a label, like {?order number}.")
                parts.append(("ask", label))
            else:
                name = inner.split("|", 1)[0].strip()
                if not VARIABLE.match(name):
                    raise CannedError(f"'{{{inner}}}' is not a variable like {{customer.name}}.")
                parts.append(("var", inner))
        pos = m.end()
    if pos < len(body):
        parts.append(("text", body[pos:]))
    for kind, value in parts:
        if kind == "text" and ("{" in value or "}" in value):
            raise CannedError("An unmatched brace in the template; write {{ or }} for a brace.")
    return parts


def prompts(body: str) -> list[str]:
    """The placeholders the agent must fill, in order, each once."""
    seen: list[str] = []
    for kind, value in parse(body):
        if kind == "ask" and value not in seen:
            seen.append(value)
    return seen


def render(body: str, variables: Mapping[str, str | None],
           answers: Mapping[str, str] | None = None) -> str:
    """Fill a template. Raises CannedError naming the first variable or placeholder missing."""
    answers = answers or {}
    out: list[str] = []
    for kind, value in parse(body):
        if kind in ("text", "brace"):
            out.append(value)
        elif kind == "ask":
            answer = answers.get(value)
            if answer is None or not answer.strip():
                raise CannedError(f"Fill in '{value}' before sending.")
            out.append(answer)
        else:
            name, sep, fallback = value.partition("|")
            name = name.strip()
            got = variables.get(name)
            if got is None or not str(got).strip():
                if not sep:
                    raise CannedError(f"The variable {{{name}}} has no value here and no "
                                      f"fallback (write {{{name}|something}}).")
                got = fallback.strip()
            out.append(str(got))
    return "".join(out)


def variables_for(store: Store, conversation_id: int, agent_name: str) -> dict[str, str | None]:
    """The values a template can use for one conversation."""
    row = store.conn.execute(
        "SELECT c.id, c.subject, cu.name, cu.email, cu.phone FROM conversation c "
        "JOIN customer cu ON cu.id = c.customer_id WHERE c.id = ?", (conversation_id,)
    ).fetchone()
    if row is None:
        raise CannedError(f"There is no conversation {conversation_id}.")
    name = row[2] or ""
    first = name.split()[0] if name.strip() and "@" not in name and not name.isdigit() else None
    return {
        "conversation.id": str(row[0]),
        "conversation.subject": row[1],
        "customer.name": name or None,
        "customer.first_name": first,
        "customer.email": row[3],
        "customer.phone": row[4],
        "agent.name": agent_name,
        "agent.first_name": agent_name.split()[0] if agent_name.strip() else None,
    }


def add(store: Store, name: str, body: str, *, title: str | None = None, language: str = "",
        tags: str = "", actor: str = "cli", replace: bool = False, by: Actor | None = None) -> int:
    """Save a canned answer. `by` is the person asking (admin-only); None for set-up code."""
    name = (clean_line(name) or "").strip()
    if not name:
        raise CannedError("A canned answer needs a name.")
    body = clean_text(body)
    parse(body)  # reject broken templates now, not when an agent is mid-reply
    with store.write(by.name if by else actor) as tx:
        if by is not None:
            require_admin(tx, by, "change canned answers")
        existing = tx.scalar("SELECT id FROM canned_answer WHERE name = ? AND language = ?",
                             (name, language))
        if existing is not None and not replace:
            raise CannedError(f"A canned answer '{name}' already exists"
                              + (f" in '{language}'." if language else "."))
        if existing is not None:
            tx.execute("UPDATE canned_answer SET title = ?, body = ?, tags = ?, updated_at = ? "
                       "WHERE id = ?", (title or name, body, tags, tx.now, existing))
            canned_id = int(existing)
        else:
            canned_id = tx.insert("canned_answer", {
                "name": name, "title": title or name, "body": body, "language": language,
                "tags": tags, "created_at": tx.now, "updated_at": tx.now})
        tx.event("canned_saved", name=name, language=language)
    return canned_id


def all_canned(store: Store) -> list[Canned]:
    rows = store.conn.execute(
        "SELECT id, name, title, body, language, tags FROM canned_answer ORDER BY name, language"
    ).fetchall()
    return [Canned(*r) for r in rows]


def import_toml(store: Store, path: Path, *, actor: str = "cli", by: Actor | None = None) -> int:
    """Load `[[canned]]` entries (name, body, title?, language?, tags?); existing ones update."""
    if by is not None:  # refuse before reading the file; each add checks again in its write
        with store.read() as tx:
            require_admin(tx, by, "import canned answers")
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CannedError(f"Cannot read canned answers from {path}: {exc}.") from None
    entries = data.get("canned", [])
    if not isinstance(entries, list):
        raise CannedError(f"{path} must hold [[canned]] tables.")
    count = 0
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or "name" not in entry or "body" not in entry:
            raise CannedError(f"Entry {n} in {path} needs a name and a body.")
        unknown = set(entry) - {"name", "body", "title", "language", "tags"}
        if unknown:
            raise CannedError(f"Entry {n} in {path} has an unknown key '{sorted(unknown)[0]}'.")
        tags = entry.get("tags", "")
        add(store, str(entry["name"]), str(entry["body"]), title=entry.get("title"),
            language=str(entry.get("language", "")),
            tags=" ".join(tags) if isinstance(tags, list) else str(tags), actor=actor,
            replace=True, by=by)
        count += 1
    return count


def export_toml(store: Store) -> str:
    import json

    lines: list[str] = []
    for c in all_canned(store):
        lines.append("[[canned]]")
        lines.append(f"name = {json.dumps(c.name, ensure_ascii=False)}")
        if c.title != c.name:
            lines.append(f"title = {json.dumps(c.title, ensure_ascii=False)}")
        if c.language:
            lines.append(f"language = {json.dumps(c.language)}")
        if c.tags:
            lines.append(f"tags = {json.dumps(c.tags.split(), ensure_ascii=False)}")
        lines.append(f"body = {json.dumps(c.body, ensure_ascii=False)}")
        lines.append("")
    return "\n".join(lines)
