"""The agent console: one Textual app per agent, reading pages of the store, writing actions.

`make_app` is the one factory shared by the CLI (`run_console`) and the tests, so what is tested
is what runs. A thread follows the change feed (asleep on an inotify watch until the
database is written, so no timer wakes the app while idle) and hands new events to every
open screen; writes go through core.actions with one central error handler.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from textual import events, on
from textual.app import App
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.driver import Driver
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen

from omnitui.config import Settings
from omnitui.core.agents import AgentRow, get_agent
from omnitui.core.feed import Event, Feed
from omnitui.core.wake import RECHECK_DELAYS
from omnitui.first_screen import FirstScreen
from omnitui.install import is_shared_install
from omnitui.store.console_queries import newest_event_id
from omnitui.store.db import Store, StoreError
from omnitui.tui import keymap, rtl
from omnitui.tui.commands import ConsoleCommands
from omnitui.tui.database_trouble import DATABASE_ERRORS, DATABASE_TOLD_EVERY, database_trouble
from omnitui.tui.typeahead import KeyGate, KeySettled, TypedText, keys_reach_app
from omnitui.tui.watchers import drop_closed_watchers

T = TypeVar("T")
FEED_INTERVAL = 0.05  # feed polls where inotify is missing (≤50 ms lag, ~0.4 % of a core idle)
SAFETY_POLL = 5.0  # with inotify: look anyway this often (each wake is followed by re-checks)


class FeedBatch(Message):
    """Events the feed thread read. Posted, never waited for: a feed thread blocked on a busy
    app loop would hold up `shutdown`, which runs on that loop and joins the thread."""

    def __init__(self, events: list[Event]) -> None:
        super().__init__()
        self.events = events


def freeze_startup_objects() -> None:
    """Move everything alive after start-up (modules, Textual's and our classes, the app and
    its inbox: ~55,000 objects, all kept until exit) to the collector's permanent generation.

    Otherwise each full collection walks them all: a 40-100 ms pause every few dozen messages,
    in the middle of drawing one, which was the tail of the message-to-screen latency; after
    this one takes 2-9 ms. Objects made later (conversation screens, timelines) are collected
    as usual. No `gc.collect()` first: it would stall the fresh screen for ~40 ms to free
    ~1,200 start-up leftovers, which stay instead (a few hundred kB, once).
    """
    gc.freeze()


class OmniConsole(App[None]):
    """The console for one agent on one data dir."""

    CSS_PATH = str(Path(__file__).parent / "omnitui.tcss")  # absolute: subclasses anywhere
    TITLE = "omnitui"
    BINDINGS: list[Binding] = keymap.bindings("app")  # type: ignore[assignment]
    COMMANDS = App.COMMANDS | {ConsoleCommands}
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, settings: Settings, agent_username: str, *, start_hub: bool = False,
                 clock: Callable[[], float] | None = None,
                 feed_interval: float | None = FEED_INTERVAL, store: Store | None = None,
                 first_screen: FirstScreen | None = None) -> None:
        """`first_screen`: what the first screen shows, read ahead by a helper process
        (cli/read_ahead.py); the console then reads nothing before its first paint."""
        super().__init__()
        self.settings = settings
        self.clock = clock or time.time
        self.store = store or Store.open(settings.database)  # (current: no Alembic import)
        self.first_screen = first_screen
        self._first_taken: set[str] = set()
        self.agent: AgentRow = (first_screen.agent if first_screen is not None
                                else get_agent(self.store, agent_username))
        self.start_hub = start_hub
        self.hub: Any = None
        self._hub_starter: threading.Thread | None = None
        self._hub_lock = threading.Lock()  # the starter thread's hand-over against shutdown
        self.feed_interval = feed_interval
        self.feed: Feed | None = None
        self._shut_down = False  # (not `_closed`: Textual's message pump owns that name)
        self._feed_stop = threading.Event()
        self._feed_thread: threading.Thread | None = None
        self._feed_lock = threading.Lock()  # the feed thread's hand-over against shutdown
        self._wake_r, self._wake_w = os.pipe()  # ends the feed thread's wait at shutdown
        self.tz = settings.tz
        self.keys = dict(settings.keys)
        rtl.set_mode(settings.bidi)
        self.sub_title = f"{self.agent.name} · {settings.data_dir}"
        self.key_gate = KeyGate(self)
        self._database_told = -DATABASE_TOLD_EVERY  # (monotonic time of the last such toast)
        # Replies written and not sent, by conversation, kept while the console runs: leaving
        # a conversation (or a database that did not take the reply) loses no typing.
        self.drafts: dict[int, str] = {}
        self._undo_list: Any = None  # made on the first change (core.undo is not needed to start)

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver, except on Linux: one whose input thread sleeps while idle."""
        cls = super().get_driver_class()
        if cls.__name__ == "LinuxDriver":  # (termios: importable only where it is chosen)
            from omnitui.tui.driver import QuietLinuxDriver

            return QuietLinuxDriver
        return cls

    def now(self) -> float:
        return float(self.clock())

    def first_read(self, part: str) -> Any:
        """The read-ahead `first_screen`'s `part`, for the one widget that would read it as the
        console starts, once; None afterwards (or without a read-ahead): read the store."""
        if self.first_screen is None or part in self._first_taken:
            return None
        self._first_taken.add(part)
        return getattr(self.first_screen, part)

    @on(Driver.SignalResume)
    def _repaint_after_resume(self) -> None:
        """Back from a suspend (`fg`): the shell wrote over the screen, and Textual redraws only
        what changed since, which left the title and other unchanged lines blank."""
        self.screen.refresh(repaint=True, layout=True)
        for widget in self.screen.walk_children():
            widget.refresh()

    # keys -----------------------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        """Keys and pastes from the terminal go through the type-ahead gate (see typeahead)."""
        if isinstance(event, (events.Key, events.Paste, TypedText)) and not event.is_forwarded:
            self.key_gate.hold(event)
            if not self.key_gate.closed:
                await self.key_gate.flush()
            return
        await super().on_event(event)
        if isinstance(event, events.Key):  # back from the widgets, its binding run
            await self.key_gate.returned(event)

    async def route_key(self, event: events.Key | events.Paste) -> None:
        """Textual's own routing (priority bindings, then the focused widget), closing the
        gate behind a key that may start a command."""
        target = self.focused or self.screen
        gate = isinstance(event, events.Key) and self.key_gate.needs_gate(event)
        await super().on_event(event)
        if gate:
            own_mark = event.is_forwarded and keys_reach_app(target)  # (not a priority key)
            self.key_gate.close(target, event if own_mark else None)  # type: ignore[arg-type]

    def on_key_settled(self, message: KeySettled) -> None:
        message.stop()
        self.key_gate.settled(message)

    async def _replace_screen(self, screen: Screen[Any]) -> Screen[Any]:
        """Textual's, then the watchers that removed widgets left on the app and on the
        remaining screens' widgets are dropped (tui/watchers.py: otherwise each conversation
        opened stayed in memory, and so did each set of footer keys)."""
        replaced = await super()._replace_screen(screen)
        drop_closed_watchers(self)
        for kept in self.screen_stack:  # (a Footer's keys are made anew on each return)
            for node in kept.walk_children(with_self=True):
                drop_closed_watchers(node)
        return replaced

    async def _dispatch_action(self, namespace: Any, action_name: str, params: Any) -> bool:
        """Textual's, with one net under every key's action: most read the store (the next
        conversation waiting, the event a reply box opens at), and a database that does not
        answer is one sentence, not the console's end (Textual closes the app on any error
        an action raises). The action did nothing: its writes roll back."""
        try:
            return await super()._dispatch_action(namespace, action_name, params)
        except DATABASE_ERRORS as exc:
            self.database_failed(exc)
            return True

    def get_default_screen(self) -> Screen[Any]:
        from omnitui.tui.screens.inbox import InboxScreen

        return InboxScreen()

    def on_mount(self) -> None:
        if self.keys:
            self.set_keymap(self.keys)
            unknown = keymap.unknown_ids(self.keys)
            if unknown:
                self.notify("Unknown binding ids in [keys]: " + ", ".join(unknown),
                            severity="warning", markup=False)
        if self.start_hub:
            self.call_after_refresh(self._start_hub_thread)
        self.set_timer(0.3, self._warm_up)
        if self.feed_interval is None:
            return  # no live updates (snapshot tests)
        after = self.first_read("newest_event")  # from here on, no event is missed
        if after is None:
            after = newest_event_id(self.store)
        self.call_after_refresh(self._start_feed_thread, after)

    def _start_feed_thread(self, after: int) -> None:
        """The feed thread starts once the first screen is painted and opens the feed itself:
        its connections (two on PostgreSQL, one listening) and its inotify watch are no part of
        what the agent waits for. It reads from the event the inbox was read after."""
        if self._shut_down:
            return
        self._feed_thread = threading.Thread(target=self._follow_feed, args=(after,),
                                             name="omnitui-feed", daemon=True)
        self._feed_thread.start()

    def _warm_up(self) -> None:
        """Import the conversation screen and dialogs once the inbox is painted, so the first
        enter costs what every later one does (and start-up does not pay for them); then take
        what start-up made out of the garbage collector's sight (`freeze_startup_objects`)."""
        import omnitui.core.bulk
        import omnitui.tui.dialogs.canned_picker
        import omnitui.tui.dialogs.pick
        import omnitui.tui.dialogs.search
        import omnitui.tui.dialogs.text_prompt
        import omnitui.tui.dialogs.transfer
        import omnitui.tui.notices
        import omnitui.tui.screens.conversation  # noqa: F401

        self.first_screen = None  # (drawn: what it read is the widgets' now)
        if self.store.database.is_postgres:  # (after a read-ahead: not logged in yet)
            with contextlib.suppress(*DATABASE_ERRORS):
                self.store.conn  # noqa: B018
        if not self.is_headless:  # (tests run many apps in one process: nothing to freeze)
            freeze_startup_objects()

    def _start_hub_thread(self) -> None:
        """The embedded hub starts once the inbox is painted, on a thread of its own: importing
        it and waiting for its channels took ~0.2 s of every start, and the agent reads the
        inbox meanwhile. Chat customers who connect in that moment are let in by the chat
        client's reconnect, as after any hub restart."""
        if self._shut_down:
            return
        self._hub_starter = threading.Thread(target=self._start_hub, name="omnitui-hub-start",
                                             daemon=True)
        self._hub_starter.start()

    def _start_hub(self) -> None:
        """On the starter thread: start the hub, hand it over (or stop it when the console
        closed meanwhile), and say in a toast when it could not start."""
        try:
            from omnitui.hub import start_embedded_hub  # type: ignore[attr-defined]
        except ImportError:
            self._toast_from_thread("No hub available in this build; showing the store only.",
                                    "warning")
            return
        try:
            hub = start_embedded_hub(self.settings)
        except Exception as exc:  # the console stays useful without delivery
            self._toast_from_thread(f"The embedded hub did not start: {exc}", "error")
            return
        with self._hub_lock:
            if not self._shut_down:
                self.hub, hub = hub, None
        if hub is not None:  # the console closed while the hub started
            hub.stop()

    def _toast_from_thread(self, message: str, severity: SeverityLevel) -> None:
        """`notify` is thread-safe while the app's loop runs; once it has closed there is no
        one left to tell."""
        with contextlib.suppress(RuntimeError):
            self.notify(message, severity=severity, markup=False)

    def on_unmount(self) -> None:
        self.shutdown()

    def shutdown(self) -> None:
        """Leave no trace: presence cleared, the embedded hub stopped, the feed closed.
        Safe to call twice (on unmount and again by `run_console`)."""
        if self._shut_down:
            return
        self._shut_down = True
        try:
            from omnitui.core.actions import set_presence

            set_presence(self.store, self.agent, None)
        except StoreError:
            pass
        starter = self._hub_starter
        if starter is not None and starter is not threading.current_thread():
            starter.join(15)  # (a hub's start waits for its channels ≤ 10 s)
        with self._hub_lock:
            hub, self.hub = self.hub, None
        if hub is not None:
            hub.stop()
        self._feed_stop.set()
        os.write(self._wake_w, b"x")
        thread = self._feed_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(2)
        with self._feed_lock:
            feed, self.feed = self.feed, None
        if feed is not None:
            feed.close()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.store.close()  # a late reader (a screen unmounting) reopens its own connection

    # live updates ---------------------------------------------------------------------------
    def _follow_feed(self, after: int) -> None:
        """The feed thread: sleeps until the database directory changes (inotify), or polls
        every `feed_interval` where that is unavailable; the app wakes only for events."""
        feed = self._open_feed(after)
        if feed is None:
            return
        watch = feed.watch()  # inotify on the data dir, or LISTEN on PostgreSQL
        rechecks: list[float] = [0.0]  # look at once: events may have come before the watch
        try:
            while not self._feed_stop.is_set():
                if watch.active:
                    # The commit frame is written before the WAL index says so: after a wake,
                    # look again a few times; a newer wake cuts those waits short.
                    timeout = rechecks.pop(0) if rechecks else SAFETY_POLL
                    woke = watch.wait(timeout, also=self._wake_r)
                    if self._feed_stop.is_set():
                        return
                    if woke:
                        rechecks = list(RECHECK_DELAYS[1:])
                elif self._feed_stop.wait(self.feed_interval or SAFETY_POLL):
                    return
                if not self._poll_once():
                    return
        finally:
            watch.close()

    def _open_feed(self, after: int) -> Feed | None:
        """The feed, opened on this thread; None once the console is closing. A database that
        refuses the connection is asked again (the console's own reads say what is wrong)."""
        while not self._feed_stop.is_set():
            try:
                feed = Feed(self.settings.database, after=after)
            except Exception:
                self._feed_stop.wait(self.feed_interval or SAFETY_POLL)
                continue
            with self._feed_lock:
                if self._shut_down:
                    feed.close()
                    return None
                self.feed = feed
            return feed
        return None

    def _poll_once(self) -> bool:
        feed = self.feed
        if feed is None:
            return False
        try:
            events = feed.poll()
        except Exception:  # a busy or closing database: try again next time
            return True
        # post_message is False once the app is shutting down: the thread then ends
        return not events or self.post_message(FeedBatch(events))

    def on_feed_batch(self, message: FeedBatch) -> None:
        self.dispatch_events(message.events)

    def dispatch_events(self, events: list[Event]) -> None:
        if self._shut_down or not self.screen_stack:  # a feed batch that arrived at exit
            return
        for screen in list(self.screen_stack):
            handler = getattr(screen, "store_changed", None)
            if handler is None or not screen.is_mounted:
                continue
            try:
                handler(events)
            except NoMatches:  # a screen being closed has lost its widgets: nothing to show
                continue
            except DATABASE_ERRORS as exc:  # shown as last read; the next change reads again
                self.database_failed(exc)
        self._toast(events)
        self._close_if_disabled(events)

    def _close_if_disabled(self, events: Iterable[Event]) -> None:
        """An admin disabled this console's agent: it closes at once and says why. (Core refuses
        the agent's actions anyway, inside each write; this is so the agent knows.)"""
        from rich.text import Text

        for event in events:
            if (event.kind == "agent_disabled"
                    and event.data.get("username") == self.agent.username):
                self.exit(return_code=1, message=Text(
                    f"Agent {self.agent.username} was disabled by {event.actor}; this console "
                    "accepts no more actions."))
                return

    def _toast(self, events: Iterable[Event]) -> None:
        """A toast when a conversation is sent to me, and the inbox's notices (tui/notices.py):
        a new conversation nobody has, a customer writing in one of mine, a missed target."""
        from omnitui.tui import notices

        events = list(events)
        for event in events:
            if event.kind == "transfer" and event.data.get("to") == self.agent.username:
                self.notify(f"{event.actor} transferred conversation #{event.conversation_id} "
                            "to you.", title="Transfer", markup=False)
        inbox = self.settings.inbox
        found = notices.Notices(self.store, self.agent.id, inbox).for_events(
            events, getattr(self.screen, "conversation_id", None))
        notices.show(found, self.notify, self.bell if inbox.bell else None)

    # one error handler ----------------------------------------------------------------------
    def attempt(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """Run a store action; a refusal, or a database that does not answer, becomes a
        readable toast instead of a crash (its transaction rolled back: nothing was done)."""
        try:
            return fn(*args, **kwargs)
        except StoreError as exc:
            self.notify(str(exc), severity="error", markup=False)
        except sqlite3.Error as exc:
            self.database_failed(exc)
        return None

    def try_run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        """Like `attempt`, for actions that return nothing: True when it was done."""
        try:
            fn(*args, **kwargs)
        except StoreError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return False
        except sqlite3.Error as exc:
            self.database_failed(exc)
            return False
        return True

    def database_failed(self, exc: Exception) -> None:
        """The database refused or did not answer (a PostgreSQL server down, a disk error):
        one sentence, at most every few seconds however many reads fail meanwhile. What the
        agent typed stays where it was; the console reads again on the next key or change."""
        now = time.monotonic()
        if now - self._database_told < DATABASE_TOLD_EVERY:
            return
        self._database_told = now
        self.notify(database_trouble(self.settings.database, exc), severity="error",
                    markup=False, timeout=DATABASE_TOLD_EVERY)

    # undo -----------------------------------------------------------------------------------
    @property
    def undo_list(self) -> Any:
        if self._undo_list is None:
            from omnitui.tui.undo_list import UndoList

            self._undo_list = UndoList(self.now)
        return self._undo_list

    def offer_undo(self, event_ids: list[int], done: str) -> None:
        """Toast a change with the undo key, for as long as undo lasts."""
        from omnitui.core.undo import UNDO_WINDOW

        self.undo_list.remember(event_ids, done)
        key = keymap.pretty_keys(keymap.effective_keys(keymap.BY_ID["app.undo"], self.keys))
        self.notify(f"{done}  {key}: undo", timeout=UNDO_WINDOW, markup=False)

    def action_undo(self) -> None:
        try:
            said = self.undo_list.undo_latest(self.store, self.agent)
        except StoreError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify(said, timeout=4, markup=False)
        for screen in self.screen_stack:  # show it at once, before the feed says so
            reload = getattr(screen, "reload", None)
            if reload is not None and screen.is_mounted:
                reload()

    # app-wide actions -----------------------------------------------------------------------
    def action_next_waiting(self) -> None:
        """Open the next conversation that needs my reply (mine or nobody's, in the inbox
        order, wrapping round): after the one on screen, or from the inbox's highlighted row."""
        from omnitui.store.inbox_views import next_needing_reply

        screen = self.screen
        current = getattr(screen, "conversation_id", None)
        start = getattr(screen, "next_start", None)
        after, include = (current, False) if current is not None else (
            start() if start is not None else (None, False))
        found = next_needing_reply(self.store, self.agent.id, after, include_after=include)
        if found is None:
            self.notify("Nobody is waiting for a reply." if current is None else
                        "Nobody else is waiting for a reply.", timeout=3)
        elif found != current:
            self.open_conversation(found)

    def action_help(self) -> None:
        from omnitui.tui.dialogs.help import HelpDialog

        if not isinstance(self.screen, HelpDialog):
            self.push_screen(HelpDialog(self.keys))

    def action_search(self) -> None:
        from omnitui.tui.dialogs.search import SearchDialog

        def opened(conversation_id: int | None) -> None:
            if conversation_id is not None:
                self.call_after_refresh(self.open_conversation, conversation_id)

        if not isinstance(self.screen, SearchDialog):
            self.push_screen(SearchDialog(), opened)

    def action_channel_errors(self) -> None:
        from omnitui.tui.dialogs.channels import ChannelsDialog

        self.push_screen(ChannelsDialog())

    def action_report(self) -> None:
        from omnitui.tui.screens.report import ReportScreen

        if not isinstance(self.screen, ReportScreen):
            self.push_screen(ReportScreen())

    def open_conversation(self, conversation_id: int) -> None:
        from omnitui.tui.screens.conversation import ConversationScreen

        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(ConversationScreen(conversation_id))


def make_app(settings: Settings, agent_username: str, *, start_hub: bool = False,
             clock: Callable[[], float] | None = None,
             feed_interval: float | None = FEED_INTERVAL) -> OmniConsole:
    """The console app; tests pass a fixed clock and leave the hub off."""
    return OmniConsole(settings, agent_username, start_hub=start_hub, clock=clock,
                       feed_interval=feed_interval)


def run_console(settings: Settings, agent_username: str, *, notice: str | None = None,
                store: Store | None = None, first_screen: FirstScreen | None = None) -> None:
    """Entry point for `omnitui`: the console, with the embedded hub when none runs, except in
    a shared install: there only the service runs the hub (one started by an agent's console
    would own the hub's files), and the status line says when it is down. A `notice` (the
    demo's) is shown as a toast once the console is up. A `store` the caller opened (to check
    the agent) is the console's, so it is not opened twice; `first_screen`, what it read for the
    first screen meanwhile (cli/read_ahead.py)."""
    app = OmniConsole(settings, agent_username, start_hub=not is_shared_install(settings),
                      store=store, first_screen=first_screen)
    if notice:
        app.notify(notice, timeout=30, markup=False)
    try:
        app.run()
    finally:
        app.shutdown()
    if app.return_code:  # (closed because its agent was disabled)
        raise SystemExit(app.return_code)
