"""`[recognition]`: whether ingest looks for known customers a new sender may be, and how phone
numbers written without a country code are read. Kept apart from config.py so core code (ingest,
actions) can take it without importing the config."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RecognitionSettings:
    suggestions: bool = True  # look for known customers a sender probably is (never merges)
    phone_region: str | None = None  # ISO 3166 code such as "PL"; None: only +CC numbers
