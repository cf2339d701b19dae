"""Agents and customers."""

from __future__ import annotations

import typer
from rich.text import Text

from omnitui.agent_files import prepare_sftp_folder
from omnitui.cli.app import AGENT_OPTION, JSON_OPTION, app
from omnitui.cli.common import (
    acting_agent,
    acting_person,
    fail,
    open_store,
    out,
    print_json,
    settings,
    table,
)
from omnitui.core import agents as agent_ops
from omnitui.core.clock import iso
from omnitui.core.identity_trust import identity_origin, identity_warning
from omnitui.core.merge import link_token, merge_customers, preview_merge, unmerge_customer
from omnitui.install import is_shared_install
from omnitui.store import queries

agent_app = typer.Typer(help="Add, list, change and disable agents (admins only, but list).",
                        no_args_is_help=True)
customer_app = typer.Typer(help="List, show, merge and unmerge customers.", no_args_is_help=True)
app.add_typer(agent_app, name="agent")
app.add_typer(customer_app, name="customer")


@agent_app.command("add")
def agent_add(
    username: str,
    name: str | None = typer.Option(None, "--name", help="Display name shown to customers."),
    role: str = typer.Option("agent", "--role", help="admin or agent."),
) -> None:
    """Add an agent (USERNAME is their Unix user name on a shared server)."""
    store = open_store()
    row = agent_ops.add_agent(store, username, name, role, by=acting_person(store))
    out.print(Text(f"Added agent {row.username} ({row.name}, {row.role})."))
    s = settings()
    if is_shared_install(s):  # the agent's SFTP files folder, which only root can make
        try:
            out.print(Text(prepare_sftp_folder(s, row.username)))
        except OSError as exc:
            fail(f"Cannot make {row.username}'s files folder: {exc.strerror or exc}.")


@agent_app.command("list")
def agent_list(as_json: bool = JSON_OPTION) -> None:
    rows = agent_ops.list_agents(open_store())
    if as_json:
        print_json([{"id": a.id, "username": a.username, "name": a.name, "role": a.role,
                     "disabled": a.disabled} for a in rows])
        return
    table(["username", "name", "role", "state"],
          [[a.username, a.name, a.role, "disabled" if a.disabled else "active"] for a in rows])


@agent_app.command("disable")
def agent_disable(username: str) -> None:
    """Disable an agent: their consoles stop, their unsent replies fail; their history stays."""
    store = open_store()
    agent_ops.set_agent_disabled(store, username, True, by=acting_person(store))
    out.print(Text(f"Disabled agent {username}."))


@agent_app.command("enable")
def agent_enable(username: str) -> None:
    store = open_store()
    agent_ops.set_agent_disabled(store, username, False, by=acting_person(store))
    out.print(Text(f"Enabled agent {username}."))


@agent_app.command("edit")
def agent_edit(
    username: str,
    name: str | None = typer.Option(None, "--name", help="New display name."),
    role: str | None = typer.Option(None, "--role", help="admin or agent."),
) -> None:
    """Change an agent's display name or role."""
    store = open_store()
    row = agent_ops.change_agent(store, username, name=name, role=role, by=acting_person(store))
    out.print(Text(f"Agent {row.username} is now {row.name}, {row.role}."))


@customer_app.command("list")
def customer_list(
    as_json: bool = JSON_OPTION,
    limit: int = typer.Option(100, "--limit"),
    offset: int = typer.Option(0, "--offset"),
) -> None:
    rows = queries.customer_list(open_store(), limit=limit, offset=offset)
    if as_json:
        print_json(rows)
        return
    table(["id", "name", "identities", "conversations"],
          [[r["id"], r["name"], " ".join(r["identities"]), r["conversations"]] for r in rows])


@customer_app.command("show")
def customer_show(customer_id: int, as_json: bool = JSON_OPTION) -> None:
    data = queries.customer_detail(open_store(), customer_id)
    if as_json:
        print_json(data)
        return
    out.print(Text(f"Customer {data['id']}: {data['name']}"))
    for ident in data["identities"]:
        line = Text(f"  {ident['kind']}: {ident['address']}")
        note = identity_warning(ident)
        if note:
            line.append(f"  ⚠ {note}", style="bold yellow")
        elif origin := identity_origin(ident):
            line.append(f"  ({origin})")
        out.print(line)
    table(["conversation", "status", "channel", "subject", "last message"],
          [[c["id"], c["status"], c["channel"], c["subject"], iso(c["last_message_at"])]
           for c in data["conversations"]])


@customer_app.command("merge")
def customer_merge(
    survivor: int = typer.Argument(..., help="The customer that stays."),
    merged: int = typer.Argument(..., help="The customer folded into it."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Merge without showing the preview."),
    fold: bool = typer.Option(
        True, "--fold/--no-fold",
        help="When both have a live conversation, fold the newer into the older one, which "
             "keeps its assignee and transfer note (one case, in the inbox once)."),
    agent: str | None = AGENT_OPTION,
) -> None:
    """Merge two customers who are one person (undo with 'customer unmerge')."""
    store = open_store()
    who = acting_agent(store, agent)
    preview = preview_merge(store, survivor, merged)
    plan = preview.fold_plan if fold else None
    if not yes:
        out.print(Text(
            f"Merge {preview.merged_name} (#{merged}) into {preview.survivor_name} (#{survivor}): "
            f"{len(preview.identities)} identities ({', '.join(preview.identities)}), "
            f"{preview.conversations} conversations, {preview.messages} messages move."))
        if plan is not None:
            out.print(Text(f"Fold: {plan.describe()}"))
        elif preview.fold_plan is not None:
            out.print(Text("Both keep their live conversation (--no-fold)."))
        if not typer.confirm("Merge?"):
            raise typer.Exit(1)
    merge_id = merge_customers(store, survivor, merged, who, fold_cases=fold)
    said = f"Merged customer {merged} into {survivor} (merge {merge_id})."
    if plan is not None:
        folded = ", ".join(f"#{c.id}" for c in plan.folded)
        many = len(plan.folded) > 1
        said += (f" Conversation{'s' if many else ''} {folded} {'are' if many else 'is'} now "
                 f"part of #{plan.target_id}.")
    out.print(Text(said))


@customer_app.command("unmerge")
def customer_unmerge(merged: int, agent: str | None = AGENT_OPTION) -> None:
    """Undo the latest merge of a customer."""
    store = open_store()
    survivor = unmerge_customer(store, merged, acting_agent(store, agent))
    out.print(Text(f"Split customer {merged} from {survivor} again."))


@customer_app.command("link")
def customer_link(customer_id: int, as_json: bool = JSON_OPTION) -> None:
    """Print a Telegram deep link that ties the customer's Telegram account to this customer."""
    from omnitui.channels.telegram.links import deep_link
    from omnitui.cli.common import fail, settings
    from omnitui.config import TelegramSettings

    bots = [c for c in settings().channels.values() if isinstance(c, TelegramSettings)]
    if not bots or not bots[0].bot_username:
        fail("Set bot_username in the Telegram channel's config to make deep links.")
    token = link_token(open_store(), customer_id)
    url = deep_link(bots[0].bot_username, token)
    if as_json:
        print_json({"customer_id": customer_id, "token": token, "url": url})
    else:
        out.print(Text(url))
