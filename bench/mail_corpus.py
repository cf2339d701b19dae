"""Run omnitui's mail parser over a folder of mail files and say how readably each is stored.

A shop can point it at an export of its own mailbox (one message per file: .eml, maildir, …)
before trusting omnitui with it. For every file it runs the ingest's own parse (`to_inbound`, the
step the hub runs on each fetched message) and the store's sanitising, then checks what an agent
would see:

- quarantined, with the reason (a message that is not mail, or has no sender);
- unreadable: U+FFFD or undecoded `=?…?=` words in the subject, sender name, text or a file
  name (U+FFFD counts only where the mail itself does not hold it and beyond one per 2,000
  characters, which stands for a corrupt byte in transit); raw MIME (headers or a base64 run)
  shown as the text; nothing at all to show while the body holds something; a sender that is
  not an address;
- unsafe: C0/C1 controls (other than newline and tab) or bidi overrides left in stored text.

Where a folder holds an `expectations.json` in mail-mime-parser's format (`mails`: name →
from_email, from_name, subject, text_file/html_file/more_text_files under `files/`,
attachments), each of those mails is also compared with what that parser's tests expect.

    python bench/mail_corpus.py DIR [--json] [--verbose]
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from omnitui.channels.email.inbound import to_inbound
from omnitui.core.sanitize import clean_line, clean_text, is_clean

SKIP_NAMES = re.compile(r"^(readme|license|notice|mit-license|copying)(\.\w+)?$", re.I)
ENCODED_WORD = re.compile(r"=\?[\w.:-]+\?[bqBQ]\?[^?\s]*\?=")
RAW_MIME = re.compile(
    r"(?im)^content-(type|transfer-encoding):|^[A-Za-z0-9+/]{76}$\n^[A-Za-z0-9+/]{76}$"
)
# Checked here on its own terms, not with the parser's rule: local@domain, no white space.
ADDRESS = re.compile(r'[^\s@<>(),;:"]+@[\w-]+(?:\.[\w-]+)*')
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


@dataclass
class MailResult:
    path: str
    quarantined: str | None = None
    problems: list[str] = field(default_factory=list)
    expectation: dict[str, bool] | None = None


def mail_files(root: Path) -> tuple[list[Path], dict[Path, dict]]:
    """Every file that may be a mail, and expectations keyed by the mail file they describe."""
    expectations: dict[Path, dict] = {}
    skip_dirs: set[Path] = set()
    for spec in root.rglob("expectations.json"):
        data = json.loads(spec.read_text(encoding="utf-8"))
        skip_dirs.add(spec.parent / "files")
        for name, expected in data.get("mails", {}).items():
            for candidate in spec.parent.rglob(f"{name}*"):
                if candidate.is_file() and candidate.stem == name:
                    expected = dict(expected, _files=str(spec.parent / "files"))
                    expectations[candidate] = expected
    files = [
        p for p in sorted(root.rglob("*"))
        if p.is_file() and not SKIP_NAMES.match(p.name) and p.suffix != ".json"
        and not any(d in p.parents for d in skip_dirs)
    ]
    return files, expectations


def check(path: Path, expected: dict | None) -> MailResult:
    result = MailResult(str(path))
    raw = path.read_bytes()
    item = to_inbound(raw, "corpus", "support@shop.invalid")
    if item.error:
        result.quarantined = item.error
        return result
    text = clean_text(item.text)
    subject = clean_line(item.subject) or ""
    name = clean_line(item.display_name) or ""
    files = [clean_line(a.filename) or "" for a in item.attachments]
    for label, value in [("subject", subject), ("name", name), ("text", text),
                         *(("file name", f) for f in files)]:
        if value.count("\ufffd") > _stray_limit(value) and "\ufffd".encode() not in raw:
            result.problems.append(f"{label} has U+FFFD: {value[:80]!r}")
        if ENCODED_WORD.search(value):
            result.problems.append(f"{label} has an undecoded encoded word: {value[:80]!r}")
        if not is_clean(value) or BIDI.search(value):
            result.problems.append(f"{label} holds control characters")
    if RAW_MIME.search(text):
        result.problems.append("raw MIME shown as text")
    if not text.strip() and not item.attachments and _has_body(raw):
        result.problems.append("nothing to show (no text, no attachment)")
    if not ADDRESS.fullmatch(item.address):
        result.problems.append(f"sender is not an address: {item.address!r}")
    if expected is not None:
        result.expectation = compare(item, text, subject, name, expected)
    return result


def _stray_limit(value: str) -> int:
    """U+FFFD allowed for corrupt bytes in otherwise valid text: one per 2,000 characters."""
    return len(value) // 2000


def _has_body(raw: bytes) -> bool:
    """Whether anything but white space and MIME structure follows the headers."""
    end = re.search(rb"\r?\n\r?\n", raw)
    body = raw[end.end():] if end else b""
    lines = [ln.strip() for ln in body.splitlines()]
    return any(ln and not ln.startswith(b"--") and b":" not in ln for ln in lines)


def collapse(text: str) -> str:
    return " ".join(text.split())


def body_matches(got: str, expected: str) -> bool:
    """Contained, or nearly equal once whitespace runs collapse (HTML turned to text differs in
    markup leftovers such as list bullets)."""
    got, expected = collapse(got), collapse(expected)
    if expected in got:
        return True
    return difflib.SequenceMatcher(None, got, expected, autojunk=False).ratio() >= 0.9


def compare(item, text: str, subject: str, name: str, expected: dict) -> dict[str, bool]:
    files = Path(expected["_files"])
    verdict: dict[str, bool] = {}
    if "from_email" in expected:
        verdict["sender"] = item.address == expected["from_email"].lower()
    if "from_name" in expected:
        verdict["name"] = name == expected["from_name"]
    if "subject" in expected:
        verdict["subject"] = subject == expected["subject"]
    bodies = [expected["text_file"]] if "text_file" in expected else []
    if not bodies and "html_file" in expected:
        bodies = [expected["html_file"]]
    bodies += expected.get("more_text_files", [])
    if bodies:
        verdict["body"] = all(
            body_matches(text, (files / b).read_text(encoding="iso-8859-1")) for b in bodies
        )
    if "attachments" in expected:
        verdict["attachments"] = len(item.attachments) == expected["attachments"]
    return verdict


def summarise(results: list[MailResult]) -> dict:
    with_expect = [r for r in results if r.expectation is not None]
    fields: dict[str, list[int]] = {}
    for r in with_expect:
        for key, ok in (r.expectation or {}).items():
            fields.setdefault(key, [0, 0])
            fields[key][0] += ok
            fields[key][1] += 1
    return {
        "mails": len(results),
        "stored_readably": sum(1 for r in results if not r.quarantined and not r.problems),
        "quarantined": {r.path: r.quarantined for r in results if r.quarantined},
        "unreadable": {r.path: r.problems for r in results if r.problems},
        "expectations": len(with_expect),
        "expectations_all_match": sum(
            1 for r in with_expect if all((r.expectation or {}).values())
        ),
        "expectation_fields": {k: f"{ok}/{n}" for k, (ok, n) in sorted(fields.items())},
        "expectation_misses": {
            r.path: sorted(k for k, ok in (r.expectation or {}).items() if not ok)
            for r in with_expect if not all((r.expectation or {}).values())
        },
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    ap.add_argument("--verbose", action="store_true", help="list every mail with a finding")
    args = ap.parse_args()
    if not args.dir.is_dir():
        print(f"{args.dir} is not a folder.", file=sys.stderr)
        return 2
    files, expectations = mail_files(args.dir)
    results = [check(p, expectations.get(p)) for p in files]
    summary = summarise(results)
    if args.json:
        print(json.dumps(summary, indent=1, ensure_ascii=False))
        return 0
    print(f"{summary['mails']} mails: {summary['stored_readably']} stored readably, "
          f"{len(summary['quarantined'])} quarantined, {len(summary['unreadable'])} unreadable")
    for path, reason in summary["quarantined"].items():
        print(f"  quarantined {path}: {reason}")
    for path, problems in summary["unreadable"].items():
        print(f"  unreadable {path}: {'; '.join(problems)}")
    if summary["expectations"]:
        print(f"{summary['expectations']} with expectations: "
              f"{summary['expectations_all_match']} match in every field "
              f"({', '.join(f'{k} {v}' for k, v in summary['expectation_fields'].items())})")
        for path, missed in summary["expectation_misses"].items():
            print(f"  differs {path}: {', '.join(missed)}")
    if args.verbose:
        for r in results:
            print(json.dumps(asdict(r), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
