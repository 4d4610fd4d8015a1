"""``dynaguard user …`` administration commands beyond add/disable/revoke-sessions.

They act on the shared table directly (the operator's shell is the authentication), go
through the same operations as the ``/admin`` routes and are audited with actor ``cli``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

__all__ = ["CLI_ACTOR", "register_admin_commands"]

CLI_ACTOR = "cli"


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


def user_list(
    prefix: Annotated[str, typer.Option(help="Only emails starting with this.")] = "",
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 100,
) -> None:
    """List accounts in email order."""
    from dynaguard import cli  # noqa: PLC0415 -- cli imports this module
    from dynaguard.guard.admin import directory  # noqa: PLC0415 -- keep `--help` fast

    async def fetch() -> list[Any]:
        async with cli._services(cli._admin_settings()) as svc:
            users: list[Any] = []
            after = None
            while len(users) < limit:
                page = await directory(svc).search(prefix.strip().lower(),
                                                   limit=min(100, limit - len(users)),
                                                   after=after)
                users += page.users
                if page.after is None:
                    break
                after = page.after
            return users

    table = Table("id", "email", "enabled", "verified", "mfa", "scopes", "created")
    for user in cli.run(fetch()):
        table.add_row(user.id, user.email, "yes" if user.enabled else "no",
                      "yes" if user.email_verified else "no",
                      "yes" if user.mfa_enabled else "no", " ".join(sorted(user.scopes)),
                      _iso(user.created_at))
    cli.out.print(table)


def user_show(email: str) -> None:
    """Show one account and its live sessions."""
    from dynaguard import cli  # noqa: PLC0415
    from dynaguard.guard.useragent import device_label  # noqa: PLC0415

    async def fetch() -> tuple[Any, list[Any]]:
        async with cli._services(cli._admin_settings()) as svc:
            user = await svc.users.get(await cli._user_id(svc, email))
            return user, await svc.sessions.list_for_user(user.id)

    user, sessions = cli.run(fetch())
    cli.out.print(f"id        {user.id}\nemail     {user.email}\n"
                  f"enabled   {'yes' if user.enabled else 'no'}\n"
                  f"verified  {'yes' if user.email_verified else 'no'}\n"
                  f"mfa       {'yes' if user.mfa_enabled else 'no'}\n"
                  f"scopes    {' '.join(sorted(user.scopes))}\ncreated   {_iso(user.created_at)}",
                  highlight=False)
    table = Table("session", "device", "address", "created", "last used")
    for s in sessions:
        table.add_row(s.id, device_label(s.user_agent), s.address, _iso(s.created_at),
                      _iso(s.last_used_at))
    cli.out.print(table)


def user_enable(email: str) -> None:
    """Allow an account to log in again (sessions ended by disabling stay ended)."""
    from dynaguard import cli  # noqa: PLC0415
    from dynaguard.guard.admin import enable_user  # noqa: PLC0415

    async def enable() -> None:
        async with cli._services(cli._admin_settings()) as svc:
            await enable_user(svc, await cli._user_id(svc, email), actor=CLI_ACTOR)

    cli.run(enable())
    cli.out.print(f"enabled {email}")


def scopes_add(email: str, scope: str) -> None:
    """Grant a scope; the account's next login carries it."""
    from dynaguard import cli  # noqa: PLC0415
    from dynaguard.guard.admin import grant_scope  # noqa: PLC0415

    async def grant() -> bool:
        async with cli._services(cli._admin_settings()) as svc:
            return await grant_scope(svc, await cli._user_id(svc, email), scope, actor=CLI_ACTOR)

    added = cli.run(grant())
    cli.out.print(f"granted {scope} to {email}" if added else f"{email} already has {scope}")


def scopes_remove(email: str, scope: str) -> None:
    """Remove a scope; tokens already issued lose it on their next request."""
    from dynaguard import cli  # noqa: PLC0415
    from dynaguard.guard.admin import remove_scope  # noqa: PLC0415

    async def remove() -> bool:
        async with cli._services(cli._admin_settings()) as svc:
            return await remove_scope(svc, await cli._user_id(svc, email), scope,
                                      actor=CLI_ACTOR)

    removed = cli.run(remove())
    cli.out.print(f"removed {scope} from {email}" if removed else f"{email} lacks {scope}")


def user_events(
    email: str,
    since: Annotated[datetime | None, typer.Option(help="From this time (UTC).")] = None,
    until: Annotated[datetime | None, typer.Option(help="Up to this time (UTC).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
) -> None:
    """Show an account's audit records, newest first."""
    from dynaguard import cli  # noqa: PLC0415

    def epoch(moment: datetime | None) -> float | None:
        if moment is None:
            return None
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()

    async def fetch() -> list[Any]:
        async with cli._services(cli._admin_settings()) as svc:
            user_id = await cli._user_id(svc, email)
            items: list[Any] = await svc.audit.for_user(
                user_id, since=epoch(since) or 0.0, until=epoch(until), limit=limit)
            return items

    table = Table("at", "event", "address", "detail")
    for item in cli.run(fetch()):
        table.add_row(_iso(item.at), item.event, item.address,
                      " ".join(f"{k}={v}" for k, v in sorted(item.detail.items())))
    cli.out.print(table)


def register_admin_commands(user_app: typer.Typer) -> None:
    """Add these commands to the ``dynaguard user`` group."""
    user_app.command("list")(user_list)
    user_app.command("show")(user_show)
    user_app.command("enable")(user_enable)
    user_app.command("events")(user_events)
    scopes_app = typer.Typer(help="Grant and remove scopes.", no_args_is_help=True)
    scopes_app.command("add")(scopes_add)
    scopes_app.command("remove")(scopes_remove)
    user_app.add_typer(scopes_app, name="scopes")
