"""The cost of right-to-left display in the timeline: the entries a conversation screen draws on
open (60 messages), built with `[console] bidi = "app"` (wrapped and reordered here) beside
`"terminal"` (left as stored: the baseline) in the same run, for Arabic and for Latin text.

    python bench/rtl_timeline.py --runs 7
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC

from omnitui.store.queries import MessageRow
from omnitui.tui import rtl
from omnitui.tui.timeline_text import message_parts

ARABIC = ("مرحبا، وصلني المنتج مكسورا. هل يمكنني إرجاعه؟ رقم الطلب 77801. "
          "الصندوق كان ممزقا والمصباح لا يعمل.\n") * 4
LATIN = ("Hello, I ordered a lamp last week (order #10482) and it has not arrived yet. "
         "Where is my order? The tracking page shows nothing.\n") * 4
WINDOW = 60  # messages drawn when a conversation opens (tui/widgets/timeline.py)
WIDTH = 48  # the body's width at 80 columns


def rows(text: str, name: str, subject: str) -> list[MessageRow]:
    return [MessageRow(n, 1, "inbound", "mail", name, text, subject,
                       1_750_000_000.0 + n, None, None, (), False, None, {})
            for n in range(WINDOW)]


def draw_ms(messages: list[MessageRow], mode: str) -> float:
    rtl.set_mode(mode)
    started = time.perf_counter()
    for msg in messages:
        message_parts(msg, UTC, 1_750_000_000.0, 1, WIDTH)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"{WINDOW} timeline entries of 4 paragraphs, body width {WIDTH}; median of "
          f"{args.runs} runs (ms)")
    for name, text, author, subject in (
            ("arabic", ARABIC, "أحمد الفارسي", "إرجاع المنتج"),
            ("latin", LATIN, "Emma Johnson", "Where is order #10482?")):
        messages = rows(text, author, subject)
        draw_ms(messages, "app")  # warm up imports and caches
        app, terminal = [], []
        for _ in range(args.runs):  # interleaved, so load on the machine hits both alike
            terminal.append(draw_ms(messages, "terminal"))
            app.append(draw_ms(messages, "app"))
        base, new = statistics.median(terminal), statistics.median(app)
        print(f"{name:7} terminal (baseline) {base:6.2f}   app {new:6.2f}   "
              f"ratio {new / base:4.2f}×   extra per entry {(new - base) / WINDOW:5.3f}")


if __name__ == "__main__":
    main()
