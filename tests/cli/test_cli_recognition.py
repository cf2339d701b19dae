"""`omnitui customer add-identity | suggestions | suggestion dismiss | timeline` and
`log-call --phone`, run as a user would, against a real data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from omnitui.channels.base import Inbound
from omnitui.core.actions import transfer
from omnitui.core.agents import add_agent
from omnitui.core.ingest import ingest
from omnitui.core.recognition_options import RecognitionSettings
from omnitui.store.db import Store
from tests.backend import database_in


def run(cfg: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMNITUI_CONFIG": str(cfg), "OMNITUI_AGENT": "ann", "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, "-m", "omnitui", *args], capture_output=True,
                          text=True, env=env, timeout=60)
    assert (proc.returncode == 0) is ok, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


def shop(tmp_path: Path) -> tuple[Path, int, int]:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[omnitui]\ndata_dir = "data"\n\n[recognition]\nphone_region = "PL"\n',
                   encoding="utf-8")
    (tmp_path / "data").mkdir()
    store = Store.open(database_in(tmp_path / "data"))
    ann = add_agent(store, "ann", "Ann")
    add_agent(store, "bob", "Bob")
    pl = RecognitionSettings(phone_region="PL")
    first = ingest(store, Inbound(channel="bot", kind="telegram", external_id="1",
                                  address="5512", text="Hi, my order 4412 [bold]never[/bold] came",
                                  display_name="Анна Ковальская"), recognition=pl)
    transfer(store, first.conversation_id, "bob", "order 4412, paid, courier lost it", ann)
    ingest(store, Inbound(channel="mail", kind="email", external_id="m1",
                          address="anna.k@example.org", text="About order 4412 again",
                          display_name="Anna Kowalska", subject="Order 4412"), recognition=pl)
    store.close()
    return cfg, first.customer_id, first.conversation_id


def test_suggestions_dismiss_and_add_identity(tmp_path: Path) -> None:
    cfg, anna, conversation = shop(tmp_path)
    [s] = json.loads(run(cfg, "customer", "suggestions", "--json").stdout)
    assert (s["candidate_id"], s["candidate_name"], s["reasons"]) == (
        anna, "Анна Ковальская", ["same name", "order 4412"])
    assert s["label"] == "probably Анна Ковальская: same name, order 4412"
    text = run(cfg, "customer", "suggestions").stdout
    assert "same name, order 4412" in text and f"omnitui customer merge {anna} " in text
    assert run(cfg, "customer", "suggestion", "dismiss", str(s["id"])).stdout == (
        f"Dismissed suggestion {s['id']}.\n")
    assert run(cfg, "customer", "suggestions").stdout == "No open suggestions.\n"
    again = run(cfg, "customer", "suggestion", "dismiss", str(s["id"]), ok=False)
    assert again.stderr == f"Error: Suggestion {s['id']} is already dismissed.\n"

    added = run(cfg, "customer", "add-identity", str(anna), "phone", "600 123 456").stdout
    assert added.startswith(f"Added phone 600 123 456 to customer {anna} (identity ")
    again_added = run(cfg, "customer", "add-identity", str(anna), "phone", "+48600123456").stdout
    assert again_added.startswith(f"Customer {anna} already has phone +48600123456 (identity ")
    assert again_added.rstrip().endswith("nothing changed.")
    taken = run(cfg, "customer", "add-identity", str(anna), "email", "anna.k@example.org",
                ok=False)
    assert taken.stderr.startswith("Error: anna.k@example.org already belongs to Anna Kowalska")
    assert taken.stderr.count("\n") == 1
    bad = run(cfg, "customer", "add-identity", str(anna), "phone", "call me", ok=False)
    assert bad.stderr == "Error: 'call me' is not a phone number such as +48 600 123 456.\n"
    run(cfg, "log-call", str(conversation), "She called", "--phone", "+48 601 000 111")
    shown = json.loads(run(cfg, "customer", "show", str(anna), "--json").stdout)
    assert [(i["kind"], i["address"], i["linked_via"]) for i in shown["identities"]] == [
        ("telegram", "5512", None), ("phone", "600 123 456", "agent"),
        ("phone", "+48 601 000 111", "agent")]


def test_timeline_across_channels_in_order_printed_as_data(tmp_path: Path) -> None:
    cfg, anna, conversation = shop(tmp_path)
    run(cfg, "log-call", str(conversation), "Called: wants a refund", "--phone", "600 123 456")
    entries = json.loads(run(cfg, "customer", "timeline", str(anna), "--json").stdout)
    assert [(e["kind"], e["channel"]) for e in entries] == [
        ("inbound", "bot"), ("transfer", None), ("call", None)]
    assert entries[1]["to"] == "bob" and entries[2]["phone"] == "600 123 456"
    lines = run(cfg, "customer", "timeline", str(anna)).stdout.splitlines()
    assert lines[0].endswith("Анна Ковальская: Hi, my order 4412 [bold]never[/bold] came")
    assert lines[1].endswith("ann → bob (transfer note): order 4412, paid, courier lost it")
    assert lines[2].endswith("Ann logged a phone call from 600 123 456: Called: wants a refund")
    missing = run(cfg, "customer", "timeline", "999", ok=False)
    assert missing.stderr == "Error: There is no customer 999.\n"
