"""Bytes → text the way mail clients read them, whatever the mail claims about its charset.

Why not just `bytes.decode(declared)`: labels lie. gb2312 mail carries GBK characters (clients
read it as its superset GB18030), "UTF-8" mail is often Latin-1, Korean and Japanese labels name
the narrow standard while the text uses the vendor's wider code page, and plenty of 8-bit text
declares nothing at all. So: the declared charset through an alias table of supersets, strictly;
then UTF-8; then a statistical guess (charset-normalizer) over a fixed set of code pages for text
long enough to judge; then the caller's hint; then Windows-1252, which decodes any byte.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

# Labels whose real-world text is the wider superset (what Outlook, Thunderbird and browsers do).
SUPERSETS = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
    "euc-cn": "gb18030", "csgb2312": "gb18030", "chinese": "gb18030",
    "big5": "big5hkscs", "x-big5": "big5hkscs",
    "ks_c_5601-1987": "cp949", "ks_c_5601": "cp949", "euc-kr": "cp949", "ksc5601": "cp949",
    "shift_jis": "cp932", "shift-jis": "cp932", "x-sjis": "cp932", "sjis": "cp932",
    "ms_kanji": "cp932", "windows-31j": "cp932",
    "iso-8859-1": "windows-1252", "latin1": "windows-1252", "latin-1": "windows-1252",
    "iso-8859-9": "windows-1254", "tis-620": "cp874", "iso-8859-11": "cp874",
    "windows-874": "cp874", "iso-8859-8-i": "iso-8859-8", "iso-8859-6-i": "iso-8859-6",
    "utf8": "utf-8", "unicode-1-1-utf-7": "utf-7", "x-unknown": "", "unknown-8bit": "",
    "x-user-defined": "", "default": "", "none": "", "us-ascii": "", "ascii": "",
    "ansi_x3.4-1968": "",
}
# Code pages a guess may pick: the single-byte pages of Europe and the Middle East, and the
# multi-byte East Asian ones. Wider lists make short texts guess wrong more often.
GUESS_PAGES = [
    "cp1252", "cp1250", "cp1251", "koi8-r", "koi8-u", "cp1253", "cp1254", "cp1255", "cp1256",
    "cp1257", "iso-8859-2", "iso-8859-15", "gb18030", "big5hkscs", "cp932", "euc_jp", "cp949",
]
SEVEN_BIT = frozenset({"ascii", "utf-7", "iso2022_jp", "iso2022_kr", "hz"})  # 8-bit data lies
MIN_GUESS_BYTES = 200  # below this a statistical guess is worse than the hint or Windows-1252
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def codec_for(label: str | None) -> str | None:
    """The Python codec to read text labelled `label`; None when the label says nothing."""
    name = (label or "").strip().strip("\"'").lower()
    name = SUPERSETS.get(name, name)
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None, hint: str | None = None) -> str:
    """Text from `data` labelled `charset`; `hint` is another label worth trying (the message's
    own charset for a part or header that declares none). Never raises, never keeps surrogates.

    Valid UTF-8 wins over any label: legacy 8-bit text is almost never valid UTF-8 by chance,
    while UTF-8 under a stale label (gb2312, iso-8859-1) is common."""
    if data.isascii():
        return _ascii(data, charset)
    declared = codec_for(charset)
    text = _strict(data, "utf-8") or _strict(data, _eight_bit(declared))
    if text is not None:
        return text
    if declared == "utf-8" and _mostly_utf8(data):
        return data.decode("utf-8", errors="replace")  # a few corrupt bytes in real UTF-8
    guessed = _guess(data)
    if guessed:
        return guessed
    hinted = _eight_bit(codec_for(hint))
    text = _strict(data, hinted) if hinted != declared else None
    if text is not None:
        return text
    return data.decode(_eight_bit(declared) or "cp1252", errors="replace")


def decode_header_bytes(data: bytes, hint: str | None = None) -> str:
    """Raw 8-bit bytes in a header or a file name: UTF-8, else the message's charset, else
    Windows-1252 (header text is too short for a statistical guess)."""
    text = _strict(data, "utf-8") or _strict(data, _eight_bit(codec_for(hint)))
    return text if text is not None else data.decode("cp1252", errors="replace")


def _eight_bit(codec: str | None) -> str | None:
    """`codec` when it is an 8-bit legacy charset worth trying (not UTF-8, not a 7-bit one)."""
    return codec if codec and codec != "utf-8" and codec not in SEVEN_BIT else None


def _strict(data: bytes, codec: str | None) -> str | None:
    """`data` decoded by `codec` when every byte fits it, else None."""
    if codec is None:
        return None
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _ascii(data: bytes, charset: str | None) -> str:
    """7-bit data: ASCII, unless it is labelled as a 7-bit encoding of Unicode (UTF-7)."""
    codec = codec_for(charset)
    if codec in SEVEN_BIT and codec != "ascii":
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    return data.decode("ascii")


def _mostly_utf8(data: bytes) -> bool:
    """Valid UTF-8 sequences outnumber stray high bytes fifty to one."""
    valid = sum(len(m.group(0)) for m in _UTF8_SEQUENCE.finditer(data))
    high = sum(1 for b in data if b >= 0x80)
    return valid > 0 and (high - valid) * 50 <= valid


def _guess(data: bytes) -> str | None:
    if len(data) < MIN_GUESS_BYTES:
        return None
    try:
        best = from_bytes(data[:65536], cp_isolation=GUESS_PAGES).best()
    except Exception:  # a detector bug must not cost the mail; the caller falls back
        return None
    if best is None:
        return None
    try:
        return data.decode(best.encoding)
    except (LookupError, UnicodeDecodeError):
        return None
