"""Every key binding of the console in one registry: ids, default keys, help text, scope.

Screens build their `BINDINGS` from here, the help screen and the command palette read it, and
`[keys]` in the config rebinds any id (`"conversation.resolve" = "ctrl+e"`) through Textual's
keymap, so one table is the truth for keys, help and overrides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from textual.binding import Binding

SCOPES = {
    "app": "Everywhere",
    "inbox": "Inbox",
    "conversation": "Conversation",
    "composer": "Reply composer",
    "files": "Files of a conversation",
    "report": "Report",
}


@dataclass(frozen=True, slots=True)
class KeySpec:
    id: str
    keys: str  # comma-separated Textual key names
    action: str
    description: str
    scope: str
    show: bool = True  # in the footer
    priority: bool = False
    palette: bool = True  # offered in the command palette


REGISTRY: tuple[KeySpec, ...] = (
    # Everywhere
    KeySpec("app.help", "question_mark,f1", "app.help", "Help", "app"),
    KeySpec("app.search", "slash,ctrl+slash", "app.search", "Search", "app"),
    KeySpec("app.channels", "f2", "app.channel_errors", "Channels", "app", show=False),
    KeySpec("app.report", "R,f3", "app.report", "Report", "app", show=False),
    KeySpec("app.undo", "ctrl+z", "app.undo", "Undo", "app", show=False),
    KeySpec("app.quit", "ctrl+q", "app.quit", "Quit", "app", show=False, priority=True),
    # Inbox
    KeySpec("inbox.down", "j,down", "cursor_down", "Next", "inbox", show=False, palette=False),
    KeySpec("inbox.up", "k,up", "cursor_up", "Previous", "inbox", show=False, palette=False),
    KeySpec("inbox.page_down", "pagedown,ctrl+f", "page_down", "Page down", "inbox", show=False,
            palette=False),
    KeySpec("inbox.page_up", "pageup,ctrl+b", "page_up", "Page up", "inbox", show=False,
            palette=False),
    KeySpec("inbox.top", "home,g", "top", "First", "inbox", show=False, palette=False),
    KeySpec("inbox.bottom", "end,G", "bottom", "Last", "inbox", show=False, palette=False),
    KeySpec("inbox.open", "enter,l", "open", "Open", "inbox", palette=False),
    KeySpec("inbox.next", "space", "app.next_waiting", "Next waiting", "inbox"),
    KeySpec("inbox.needs_reply", "1", "view('needs_reply')", "Needs reply", "inbox", show=False),
    KeySpec("inbox.mine", "2", "view('mine')", "Mine", "inbox", show=False),
    KeySpec("inbox.unassigned", "3", "view('unassigned')", "Unassigned", "inbox", show=False),
    KeySpec("inbox.all", "4", "view('all')", "All", "inbox", show=False),
    KeySpec("inbox.views", "v", "pick_view", "Views", "inbox", show=False),
    KeySpec("inbox.compose", "C", "compose", "New conversation", "inbox", show=False),
    # Marks: the actions below change every marked conversation, or the highlighted one.
    KeySpec("inbox.mark", "x", "toggle_mark", "Mark", "inbox"),
    KeySpec("inbox.mark_all", "asterisk", "mark_all", "Mark all in view", "inbox", show=False),
    KeySpec("inbox.unmark", "escape", "clear_marks", "Clear marks", "inbox", show=False),
    KeySpec("inbox.resolve", "e", "bulk('resolve')", "Resolve", "inbox"),
    KeySpec("inbox.assign", "a", "bulk_assign", "Assign", "inbox", show=False),
    KeySpec("inbox.label", "b", "bulk_label", "Label", "inbox", show=False),
    KeySpec("inbox.snooze", "z", "bulk_snooze", "Snooze", "inbox", show=False),
    KeySpec("inbox.pending", "p", "bulk('pending')", "Pending", "inbox", show=False),
    KeySpec("inbox.reopen", "o", "bulk('reopen')", "Reopen", "inbox", show=False),
    # Conversation
    KeySpec("conversation.back", "escape", "back", "Back", "conversation"),
    KeySpec("conversation.next", "space", "app.next_waiting", "Next waiting", "conversation",
            show=False),
    # Letters are commands only while the reply box is closed; once open it takes every
    # letter until sent (ctrl+j) or closed (esc). Keys typed ahead wait (tui/typeahead.py).
    KeySpec("conversation.reply", "r", "reply", "Reply", "conversation"),
    KeySpec("conversation.note", "n", "note", "Note", "conversation"),
    KeySpec("conversation.compose", "C", "compose", "New conversation with this customer",
            "conversation", show=False),
    KeySpec("conversation.transfer", "t", "transfer", "Transfer", "conversation"),
    KeySpec("conversation.assign", "a", "assign", "Assign", "conversation"),
    KeySpec("conversation.resolve", "e", "resolve", "Resolve", "conversation"),
    KeySpec("conversation.reopen", "o", "reopen", "Reopen", "conversation", show=False),
    KeySpec("conversation.pending", "p", "pending", "Pending", "conversation", show=False),
    KeySpec("conversation.snooze", "z", "snooze", "Snooze", "conversation"),
    KeySpec("conversation.label", "b", "label", "Label", "conversation"),
    KeySpec("conversation.call", "c", "log_call", "Log call", "conversation", show=False),
    KeySpec("conversation.merge", "m", "merge", "Merge customer", "conversation", show=False),
    KeySpec("conversation.unmerge", "M", "unmerge", "Unmerge customer", "conversation",
            show=False),
    KeySpec("conversation.link", "L", "telegram_link", "Telegram link", "conversation",
            show=False),
    # A suggestion that this customer is somebody known (side panel): merge preview or not them.
    KeySpec("conversation.suggestion", "s", "merge_suggested", "Merge suggestion",
            "conversation", show=False),
    KeySpec("conversation.not_them", "D", "dismiss_suggestion", "Dismiss suggestion",
            "conversation", show=False),
    KeySpec("conversation.identity", "I", "add_identity", "Add identity", "conversation",
            show=False),
    KeySpec("conversation.older", "u", "older", "Older messages", "conversation", show=False),
    KeySpec("conversation.files", "f", "files", "Files", "conversation", show=False),
    KeySpec("conversation.down", "j", "scroll_timeline(1)", "Scroll down", "conversation",
            show=False, palette=False),
    KeySpec("conversation.up", "k", "scroll_timeline(-1)", "Scroll up", "conversation",
            show=False, palette=False),
    # Composer (focused reply box)
    # Not priority bindings: those run as the key arrives, before the box has taken the letters
    # typed just ahead of them; these run after, in order.
    KeySpec("composer.send", "ctrl+j,alt+enter,ctrl+enter", "send", "Send", "composer"),
    KeySpec("composer.canned", "ctrl+o", "canned", "Canned", "composer"),
    KeySpec("composer.identity", "ctrl+n", "next_identity", "Switch to", "composer"),
    KeySpec("composer.attach", "ctrl+t", "attach", "Attach", "composer"),
    KeySpec("composer.leave", "escape", "leave", "Close box (keeps the draft)", "composer"),
    # Files dialog (f)
    KeySpec("files.save", "enter,s", "save", "Save to my files folder", "files"),
    KeySpec("files.open", "o", "open", "Open with the viewer", "files"),
    KeySpec("files.close", "escape", "close", "Close", "files"),
    # Report
    KeySpec("report.back", "escape,q", "back", "Back", "report"),
    KeySpec("report.period", "p", "next_period", "Period", "report"),
    KeySpec("report.group", "g", "next_grouping", "Group by", "report"),
    KeySpec("report.7d", "7", "period('7d')", "Last 7 days", "report", show=False),
    KeySpec("report.30d", "3", "period('30d')", "Last 30 days", "report", show=False),
    KeySpec("report.90d", "9", "period('90d')", "Last 90 days", "report", show=False),
    KeySpec("report.overall", "o", "grouping('overall')", "Overall", "report", show=False),
    KeySpec("report.channel", "c", "grouping('channel')", "By channel", "report", show=False),
    KeySpec("report.agent", "a", "grouping('agent')", "By agent", "report", show=False),
    KeySpec("report.label", "l", "grouping('label')", "By label", "report", show=False),
    KeySpec("report.hour", "h", "grouping('hour')", "By hour", "report", show=False),
    KeySpec("report.refresh", "r", "refresh", "Refresh", "report", show=False),
    KeySpec("report.down", "j", "scroll_body(1)", "Scroll down", "report", show=False,
            palette=False),
    KeySpec("report.up", "k", "scroll_body(-1)", "Scroll up", "report", show=False,
            palette=False),
)

BY_ID = {spec.id: spec for spec in REGISTRY}

# Said on the help screen under a scope's title.
SCOPE_NOTES = {
    "inbox": "Most urgent first: by when the response target falls due or, without a "
             "target, since when the customer waits (earliest first, so overdue ones lead); "
             "conversations nobody waits on follow, newest first. Needs reply holds the open "
             "conversations whose customer waits, yours or nobody's; space opens the next of "
             "them, from here or from a conversation.",
}


def bindings(scope: str) -> list[Binding]:
    """Textual bindings for one scope; each carries its registry id so `[keys]` can rebind it."""
    prefix = "screen." if scope == "composer" else ""
    return [
        Binding(spec.keys, prefix + spec.action, spec.description, show=spec.show,
                priority=spec.priority, id=spec.id, tooltip=spec.description)
        for spec in REGISTRY if spec.scope == scope
    ]


def unknown_ids(overrides: Mapping[str, str]) -> list[str]:
    """Override ids that name no binding (reported once at start, never silently ignored)."""
    return sorted(k for k in overrides if k not in BY_ID)


def effective_keys(spec: KeySpec, overrides: Mapping[str, str]) -> str:
    return overrides.get(spec.id, spec.keys)


_PRETTY = {"question_mark": "?", "slash": "/", "escape": "esc", "pagedown": "pgdn",
           "pageup": "pgup", "enter": "enter", "asterisk": "*"}


def pretty_keys(keys: str) -> str:
    """`"j,down"` → `"j / down"` for the help screen."""
    out = []
    for key in keys.split(","):
        key = key.strip()
        out.append(_PRETTY.get(key, key))
    return " / ".join(out)
