"""The widget's files as a shop serves them: small, no HTML injection points, no cookies, no
third parties, one storage key, and every language complete."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from omnitui.channels.chat.web.widget_strings import LANGUAGES, WIDGET_STRINGS

STATIC = Path(__file__).parents[2] / "omnitui" / "channels" / "chat" / "web" / "static"
SCRIPT = (STATIC / "widget.js").read_text(encoding="utf-8")
STYLES = (STATIC / "widget.css").read_text(encoding="utf-8")
BUDGET = 30 * 1024  # bytes, gzipped, script and styles together


def test_script_and_styles_fit_30_kb_gzipped() -> None:
    size = len(gzip.compress((SCRIPT + STYLES).encode("utf-8"), compresslevel=9))
    assert size <= BUDGET, f"widget.js + widget.css are {size} bytes gzipped"


CODE = re.sub(r"/\*.*?\*/", "", SCRIPT, flags=re.S)  # without its comments


def test_no_html_parsing_no_eval_no_inline_style() -> None:
    code = CODE
    for banned in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                   "new Function", "setTimeout(\"", ".style.", "\"style\"", "cssText",
                   "DOMParser", "createContextualFragment", "srcdoc"):
        assert banned not in code, banned
    assert ".textContent = clean(" in code  # the one way text reaches the page


def test_no_cookies_no_third_parties_one_storage_key() -> None:
    assert "cookie" not in CODE.lower()
    assert "sessionStorage" not in CODE and "indexedDB" not in CODE
    assert re.findall(r"localStorage\.(\w+)\((\w+)", SCRIPT) == [
        ("getItem", "STORE_KEY"), ("setItem", "STORE_KEY")]
    assert re.findall(r"STORE_KEY = \"([^\"]+)\"", SCRIPT) == ["omnitui-chat"]
    urls = re.findall(r"https?://[^\s\"']*|//[a-z0-9.-]+\.[a-z]{2,}/", SCRIPT + STYLES)
    assert urls == ["http://www.w3.org/2000/svg"]  # a namespace name, never fetched
    assert "@import" not in STYLES and "url(" not in STYLES


def _strings() -> dict[str, dict[str, str]]:
    block = SCRIPT[SCRIPT.index("var STRINGS = {") + len("var STRINGS = "):
                   SCRIPT.index("  var RTL")].strip().rstrip(";")
    quoted = re.sub(r"^(\s*)(\w+):", r'\1"\2":', block, flags=re.M)
    quoted = re.sub(r"([{,]\s*)(\w+):", r'\1"\2":', quoted)
    return json.loads(quoted)


def test_every_language_has_every_string_with_the_same_placeholders() -> None:
    strings = _strings()
    assert tuple(strings) == LANGUAGES
    english = strings["en"]
    assert tuple(english) == WIDGET_STRINGS  # the keys the config accepts in web_strings
    for lang, table in strings.items():
        assert set(table) == set(english), lang
        for key, text in table.items():
            assert sorted(re.findall(r"\{\w+\}", text)) == \
                sorted(re.findall(r"\{\w+\}", english[key])), (lang, key)
            assert text.strip(), (lang, key)
