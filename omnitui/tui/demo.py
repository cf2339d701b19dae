"""A throwaway shop for `omnitui demo` and the console's tests: customers writing in English,
Russian, Polish and Arabic over email, Telegram and chat; agents; transfers; resolved cases;
canned answers; one failed delivery. Everything goes through core, like real traffic would.

Deterministic for a given `now`, so snapshot tests can use it too.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from omnitui.channels.base import Inbound
from omnitui.config import Settings, load_settings
from omnitui.config_database import DatabaseSettings
from omnitui.core import actions, canned
from omnitui.core.agents import AgentRow, add_agent
from omnitui.core.ingest import ingest
from omnitui.core.resolve_settle import settle_resolutions
from omnitui.core.undo import UNDO_WINDOW
from omnitui.store.database import Database
from omnitui.store.db import Store

DEMO_AGENT = "anna"
AGENTS = (("anna", "Anna Kowalska", "admin"), ("ben", "Ben Carter", "agent"),
          ("olga", "Olga Ivanova", "agent"))
KINDS = {"mail": "email", "bot": "telegram", "chat": "chat"}

CANNED = (
    ("greeting", "Hello", "Hello {customer.first_name|there},\n\nthanks for writing to us! ",
     "", "hello hi"),
    ("where-is-order", "Where is my order",
     "Hi {customer.first_name|there}, your order {?order number} left our warehouse and is on "
     "its way. Tracking: {?tracking link}\n\n{agent.name}", "", "order shipping delivery "
     "tracking where parcel"),
    ("returns", "Returns and refunds",
     "You can return any item within 30 days. Reply with your order number and we will send "
     "a free return label.\n\n{agent.name}", "", "return refund damaged broken exchange"),
    ("address-change", "Change the delivery address",
     "We can change the address while the order has not shipped yet. Which address should we "
     "use for order {?order number}?", "", "address change delivery"),
    ("shipping-abroad", "Shipping abroad",
     "We ship to all EU countries; delivery takes 3–5 working days.", "", "ship abroad eu "
     "ireland country international"),
    ("vozvrat", "Возврат товара",
     "Здравствуйте, {customer.first_name|}! Вернуть товар можно в течение 30 дней. "
     "Пришлите номер заказа, и мы отправим этикетку.", "ru", "возврат вернуть"),
    ("zwrot", "Zwrot towaru",
     "Dzień dobry! Zwrot jest możliwy w ciągu 30 dni. Prosimy o numer zamówienia.", "pl",
     "zwrot reklamacja"),
)

# (channel, address, name, [texts], subject, optional link_email)
STORIES: tuple[tuple[str, str, str, tuple[str, ...], str | None, str | None], ...] = (
    ("mail", "emma.johnson@example.com", "Emma Johnson",
     ("Hello, I ordered a lamp last week (order #10482) and it has not arrived yet. "
      "Where is my order?",), "Where is order #10482?", None),
    ("bot", "100200300", "Дмитрий Смирнов",
     ("Здравствуйте! Заказ №20931 пришёл с повреждённой коробкой.",
      "Можно ли вернуть товар или обменять?"), None, None),
    ("chat", "visitor-kasia", "Katarzyna Nowak",
     ("Dzień dobry, czy mogę zmienić adres dostawy dla zamówienia nr 55120?",), None, None),
    ("mail", "ahmed.alfarsi@example.net", "أحمد الفارسي",
     ("مرحبا، وصلني المنتج مكسورا. هل يمكنني إرجاعه؟ رقم الطلب 77801",), "إرجاع المنتج", None),
    ("chat", "visitor-liam", "Liam O'Brien",
     ("Do you ship to Ireland? How long does it take?",), None, None),
    ("mail", "sofia.rossi@example.org", "Sofia Rossi",
     ("I was charged twice for order #31877. Can you refund one payment?",),
     "Double charge", None),
    ("bot", "100200400", "Piotr Zieliński",
     ("Cześć, kiedy będzie znowu dostępna lampa Nordic?",), None, None),
    ("chat", "visitor-noah", "Noah Williams",
     ("Is the blue armchair still in stock?",), None, None),
    ("bot", "100200500", "Emma Johnson",
     ("Hi, I also emailed you about order 10482 — any news?",), None,
     "emma.johnson@example.com"),
)


class DemoClock:
    """A clock the demo moves by hand, so the shop has a believable past."""

    def __init__(self, start: float) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t


def write_config(data_dir: Path, channels_toml: str = "") -> Path:
    """The demo's config: its chat channel, and `channels_toml` (the mail and bot channels
    of `omnitui demo`'s local servers, see omnitui.demo.delivery)."""
    path = data_dir / "config.toml"
    path.write_text(
        "# omnitui demo: a throwaway shop; delete the directory when done.\n"
        "[omnitui]\n"
        f"data_dir = {str(data_dir)!r}\n"
        'timezone = "UTC"\n\n'
        "[channels.chat]\n"
        'kind = "chat"\n'
        'socket = "chat.sock"\n' + channels_toml,
        encoding="utf-8")
    return path


def build_demo(data_dir: Path, *, now: float | None = None, channels_toml: str = "",
               database: Database | None = None) -> Settings:
    """Fill `data_dir` (created if needed) with a realistic shop and return its settings.

    The shop goes where the demo's config (and OMNITUI_DATABASE) puts it, unless `database`
    names the store: `omnitui demo` names its own SQLite file, so a demo never fills a real
    shop's PostgreSQL database with made-up customers."""
    data_dir = Path(data_dir)
    if (data_dir / "omnitui.db").exists():
        raise FileExistsError(f"{data_dir} already holds a shop; the demo needs a fresh directory.")
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = load_settings(write_config(data_dir, channels_toml))
    if database is not None:
        settings = replace(settings, database_settings=DatabaseSettings(url=database.url))
    end = time.time() if now is None else now
    clock = DemoClock(end - 3 * 86400)
    store = Store.open(settings.database, clock=clock)
    try:
        fill(store, clock, end, settings.attachments_dir)
    finally:
        store.close()
    return settings


def fill(store: Store, clock: DemoClock, end: float, attachments_dir: Path) -> None:
    agents: dict[str, AgentRow] = {u: add_agent(store, u, n, r) for u, n, r in AGENTS}
    for name, title, body, lang, tags in CANNED:
        canned.add(store, name, body, title=title, language=lang, tags=tags, actor="demo")
    convs: dict[str, int] = {}
    step = (end - 600 - clock.t) / (len(STORIES) * 3)
    for n, (channel, address, name, texts, subject, link) in enumerate(STORIES):
        for m, text in enumerate(texts):
            clock.t += step
            res = ingest(store, Inbound(
                channel=channel, kind=KINDS[channel], external_id=f"demo-{n}-{m}",  # type: ignore[arg-type]
                address=address, display_name=name, text=text, subject=subject,
                link_email=link), attachments_dir=attachments_dir)
            convs[name] = res.conversation_id
    anna, ben, olga = agents["anna"], agents["ben"], agents["olga"]

    def at(minutes_ago: float) -> None:
        clock.t = max(clock.t, end - minutes_ago * 60)

    # Liam: answered and resolved.
    at(300)
    actions.reply(store, convs["Liam O'Brien"], "Yes! Ireland takes 3–5 working days.", anna)
    actions.resolve(store, convs["Liam O'Brien"], anna)
    at(290)
    actions.record_rating(store, convs["Liam O'Brien"], 5, "quick!", actor="customer:visitor-liam")
    # Sofia: Ben answered, then handed over to Anna who does the refunds.
    at(240)
    actions.assign(store, convs["Sofia Rossi"], "ben", ben)
    actions.reply(store, convs["Sofia Rossi"], "Sorry about that, Sofia — checking now.", ben)
    actions.note(store, convs["Sofia Rossi"], "Payment provider shows two captures.", ben)
    actions.transfer(store, convs["Sofia Rossi"], "anna",
                     "Customer: Sofia Rossi\nOrder numbers: 31877\nLast question: Can you "
                     "refund one payment?\nWhere we are: two captures confirmed, needs a "
                     "refund (Anna has the rights).", ben)
    # Дмитрий: Olga took it, logged a call, asked for photos; waiting on the customer.
    at(200)
    actions.assign(store, convs["Дмитрий Смирнов"], "olga", olga)
    actions.log_call(store, convs["Дмитрий Смирнов"], "Позвонил клиент, прислал фото коробки.",
                     olga)
    actions.label(store, convs["Дмитрий Смирнов"], "damaged", olga)
    # Noah: a reply that could not be delivered.
    at(120)
    queued = actions.reply(store, convs["Noah Williams"], "Yes, two left in blue!", anna)
    # Piotr: resolved long ago.
    actions.reply(store, convs["Piotr Zieliński"], "Lampa Nordic wraca w przyszłym tygodniu.",
                  olga)
    actions.resolve(store, convs["Piotr Zieliński"], olga)
    actions.label(store, convs["Emma Johnson"], "shipping", anna)
    actions.label(store, convs["أحمد الفارسي"], "returns",
                  anna)
    actions.assign(store, convs["Katarzyna Nowak"], "anna", anna)
    _simulate_delivery(store, queued.message_id)
    # The story's resolves are history: final already, as a running hub would have marked them,
    # so starting the demo sends no late rating requests for them.
    settle_resolutions(store, end, UNDO_WINDOW)


def _simulate_delivery(store: Store, failed_id: int) -> None:
    """What the hub would have done by now: replies sent or delivered, one refused."""
    with store.write("demo") as tx:
        tx.execute("UPDATE message SET delivery_state = 'delivered' WHERE kind = 'outbound' "
                   "AND id != ?", (failed_id,))
        tx.execute("UPDATE outbox SET state = 'sent' WHERE message_id != ?", (failed_id,))
        tx.execute("UPDATE message SET delivery_state = 'failed', failure_reason = ? "
                   "WHERE id = ?", ("chat visitor left; the reply expired after 7 days",
                                    failed_id))
        tx.execute("UPDATE outbox SET state = 'failed' WHERE message_id = ?", (failed_id,))
        tx.event("delivery", message_id=failed_id, state="failed")
