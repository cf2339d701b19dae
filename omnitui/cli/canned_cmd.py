"""Canned answers from the shell: add, list, import and export (TOML)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.text import Text

from omnitui.cli.app import JSON_OPTION, app
from omnitui.cli.common import acting_person, open_store, out, print_json, table
from omnitui.core import canned

canned_app = typer.Typer(help="Manage canned answers.", no_args_is_help=True)
app.add_typer(canned_app, name="canned")


@canned_app.command("add")
def canned_add(
    name: str,
    body: str,
    title: str | None = typer.Option(None, "--title"),
    language: str = typer.Option("", "--language", help="e.g. en, ru, pl (a variant)."),
    tags: str = typer.Option("", "--tags"),
    replace: bool = typer.Option(False, "--replace", help="Overwrite one with the same name."),
) -> None:
    """Add a canned answer; the body may use {customer.first_name|there} and {?order number}."""
    store = open_store()
    canned.add(store, name, body, title=title, language=language, tags=tags, replace=replace,
               by=acting_person(store))
    out.print(Text(f"Saved canned answer {name}."))


@canned_app.command("list")
def canned_list(as_json: bool = JSON_OPTION) -> None:
    rows = canned.all_canned(open_store())
    if as_json:
        print_json([{"id": c.id, "name": c.name, "title": c.title, "body": c.body,
                     "language": c.language, "tags": c.tags.split()} for c in rows])
        return
    table(["name", "language", "title", "body"],
          [[c.name, c.language, c.title, c.body.replace("\n", " ")[:60]] for c in rows])


@canned_app.command("import")
def canned_import(path: Path) -> None:
    """Load [[canned]] entries from a TOML file (same names are updated)."""
    store = open_store()
    count = canned.import_toml(store, path, by=acting_person(store))
    out.print(Text(f"Imported {count} canned answer(s) from {path}."))


@canned_app.command("export")
def canned_export(output: Path | None = typer.Option(None, "--output", "-o")) -> None:
    text = canned.export_toml(open_store())
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
