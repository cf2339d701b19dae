"""`[recognition]`: suggestions of known customers a new sender probably is, and the region that
phone numbers written without a country code belong to. Kept beside config.py, which calls
`parse_recognition` and turns its `ValueError` (one sentence naming the key and the file) into a
`ConfigError`."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from omnitui.core.recognition_options import RecognitionSettings

RECOGNITION_KEYS = ("suggestions", "phone_region")


def parse_recognition(table: Any, where: str) -> RecognitionSettings:
    if not isinstance(table, dict):
        raise ValueError(f"'recognition' in {where} must be a table.")
    for key in table:
        if key not in RECOGNITION_KEYS:
            raise ValueError(f"Unknown key 'recognition.{key}' in {where}.")
    suggestions = table.get("suggestions", True)
    if not isinstance(suggestions, bool):
        raise ValueError(f"'recognition.suggestions' in {where} must be true or false.")
    region = table.get("phone_region")
    if region is not None:
        if not isinstance(region, str):
            raise ValueError(f"'recognition.phone_region' in {where} must be a string such as "
                             "\"PL\".")
        if not _known_region(region.upper()):
            raise ValueError(f"'recognition.phone_region' in {where} must be a two-letter "
                             f"country code such as \"PL\", not {region!r}.")
        region = region.upper()
    return RecognitionSettings(suggestions=suggestions, phone_region=region)


def _known_region(code: str) -> bool:
    """Whether phonenumbers has metadata for this region, asked of its files rather than by
    importing it (that takes tens of milliseconds, and every console start reads the config)."""
    spec = importlib.util.find_spec("phonenumbers")
    if spec is None or spec.origin is None or not (len(code) == 2 and code.isalpha()):
        return False
    return (Path(spec.origin).parent / "data" / f"region_{code}.py").exists()
