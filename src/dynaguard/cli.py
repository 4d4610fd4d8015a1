"""The ``dynaguard`` command line."""

from __future__ import annotations

import getpass
import sys
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dynaguard import __version__
from dynaguard.admin_cli import CLI_ACTOR, register_admin_commands
from dynaguard.audit.cli import audit as audit_command
from dynaguard.dashboard.cli import dashboard_command
from dynaguard.errors import GuardError
from dynaguard.extras import MissingExtra, require
from dynaguard.lab.cli import lab_command
from dynaguard.scan.cli import scan as scan_command
from dynaguard.scan.history_cli import register_history_commands

if TYPE_CHECKING:
    from dynaguard.settings import Settings

__all__ = ["app", "main"]

T = TypeVar("T")
console = Console(stderr=True, soft_wrap=True)  # one message, one line, even in a pipe
out = Console()
app = typer.Typer(help="Hardened authentication for FastAPI on DynamoDB, and a scanner that "
                  "proves it.", no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="The DynamoDB engine and table.", no_args_is_help=True)
user_app = typer.Typer(help="Administer user accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="The signing-key ring.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(keys_app, name="keys")
register_admin_commands(user_app)
app.command("lab")(lab_command)
app.command("scan")(scan_command)
app.command("audit")(audit_command)
register_history_commands(app)
app.command("dashboard")(dashboard_command)

DB_START_PORT = 8001


def fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment; a bad value ends the command with one clear line."""
    from pydantic import ValidationError  # noqa: PLC0415 -- keeps `--help` fast

    from dynaguard.settings import Settings, describe_validation_error  # noqa: PLC0415

    try:
        settings = Settings()
        return settings.model_copy(update=overrides) if overrides else settings
    except ValidationError as error:
        raise fail(describe_validation_error(error)) from None


def run(coro: Coroutine[Any, Any, T]) -> T:
    import asyncio  # noqa: PLC0415 -- keeps `--help` fast

    try:
        return asyncio.run(coro)
    except GuardError as error:
        raise fail(error.detail, 1) from None


def _admin_settings() -> Settings:
    settings = load_settings()
    if settings.embedded:
        # Administration needs a shared engine: the one `dynaguard db start` runs.
        return settings.model_copy(update={"dynamodb_endpoint": f"http://127.0.0.1:{DB_START_PORT}"})
    return settings


@asynccontextmanager
async def _services(settings: Settings) -> AsyncIterator[Any]:
    from dynaguard.guard.core import Guard  # noqa: PLC0415 -- keep `--help` fast
    from dynaguard.logs import configure_logging  # noqa: PLC0415

    configure_logging("warning")  # JSON on stderr; the command's output stays on stdout
    guard = Guard(settings)
    async with guard.lifespan():
        yield guard.services()


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        out.print(__version__)
        raise typer.Exit


def listening_base(host: str, port: int) -> str:
    """The URL a browser on this machine reaches the server at (a wildcard address
    listens on loopback too)."""
    if host in ("0.0.0.0", ""):  # noqa: S104 -- names the wildcard, binds nothing
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[bool, typer.Option("--demo/--no-demo", help="Serve the demo /notes.")] = True,
) -> None:
    """Run the auth service (with an embedded in-memory DynamoDB unless one is configured)."""
    import uvicorn  # noqa: PLC0415

    from dynaguard.guard.app import create_app  # noqa: PLC0415
    from dynaguard.logs import configure_logging  # noqa: PLC0415

    configure_logging()
    settings = load_settings()
    if settings.argon2_profile == "insecure-test-only":
        raise fail("DYNAGUARD_ARGON2_PROFILE=insecure-test-only is for test suites, not a service")
    engine = None
    if settings.embedded:
        require("embedded", "dynaguard serve without DYNAGUARD_DYNAMODB_ENDPOINT")
        from dynaguard.store.engine import LocalEngine  # noqa: PLC0415

        engine = LocalEngine()
        engine.start()
        settings = settings.model_copy(update={"dynamodb_endpoint": engine.endpoint})
        console.print(f"DynamoDB: embedded engine at {engine.endpoint} [bold yellow]"
                      "(data lives in memory and is lost when the service stops)[/]")
    else:
        console.print(f"DynamoDB: {settings.dynamodb_endpoint}, table {settings.table}")
    outbox = settings.outbox_dir
    console.print(f"mail: {'file outbox ' + str(outbox) if outbox else settings.mail_url}")
    if settings.kek is None:
        console.print(f"signing keys encrypted with the local key file {settings.data_dir / 'kek'}")
    base = listening_base(host, port)
    origin = "DYNAGUARD_PUBLIC_URL"
    if "public_url" not in settings.model_fields_set:
        # Links in mails must reach this server (the default base names port 8000).
        settings = settings.model_copy(update={"public_url": base})
        origin = "the address listened on; DYNAGUARD_PUBLIC_URL changes it"
    console.print(f"[bold green]dynaguard {__version__} listening on {base}[/] "
                  f"(API docs: {base}/docs)")
    console.print(f"links in mails: {settings.public_url} ({origin})")
    if settings.ui:
        console.print(f"sign-in pages: {base}/ui/sign-in")
    try:
        uvicorn.run(create_app(settings, demo=demo), host=host, port=port, log_level="warning")
    finally:
        if engine is not None:
            engine.stop()


@db_app.command("start")
def db_start(
    port: Annotated[int, typer.Option(help="Loopback port of the engine.")] = DB_START_PORT,
) -> None:
    """Run the local DynamoDB engine on a fixed loopback port, with the table created."""
    import asyncio  # noqa: PLC0415

    require("embedded", "dynaguard db start")
    from dynaguard.store.engine import LocalEngine  # noqa: PLC0415

    engine = LocalEngine(port)
    engine.start()
    settings = load_settings(dynamodb_endpoint=engine.endpoint)
    run(_init_table(settings))
    console.print(f"local DynamoDB engine on {engine.endpoint}, table {settings.table} "
                  "(in memory); Ctrl-C stops it")
    console.print(f"use it with: export DYNAGUARD_DYNAMODB_ENDPOINT={engine.endpoint}")
    try:
        asyncio.run(asyncio.Event().wait())
    except KeyboardInterrupt:
        pass
    finally:
        engine.stop()


async def _init_table(settings: Settings) -> bool:
    from dynaguard.store.client import ClientLimits, Dynamo, open_client  # noqa: PLC0415
    from dynaguard.store.schema import ensure_table  # noqa: PLC0415

    endpoint = None if settings.dynamodb_endpoint == "aws" else settings.dynamodb_endpoint
    limits = ClientLimits.from_settings(settings)
    async with open_client(endpoint, settings.region, limits) as client:
        return await ensure_table(Dynamo(client, settings.table, limits))


@db_app.command("init")
def db_init() -> None:
    """Create the table (idempotent; TTL on ``expires_at``)."""
    settings = _admin_settings()
    created = run(_init_table(settings))
    out.print(f"table {settings.table} {'created' if created else 'already exists'}")


@db_app.command("status")
def db_status() -> None:
    """Show the table, its index, TTL and item count."""
    settings = _admin_settings()

    async def status() -> dict[str, Any]:
        from dynaguard.store.client import ClientLimits, open_client  # noqa: PLC0415

        endpoint = None if settings.dynamodb_endpoint == "aws" else settings.dynamodb_endpoint
        limits = ClientLimits.from_settings(settings)
        async with open_client(endpoint, settings.region, limits) as client:
            table = (await client.describe_table(TableName=settings.table))["Table"]
            ttl = await client.describe_time_to_live(TableName=settings.table)
            return {"status": table.get("TableStatus"), "items": table.get("ItemCount"),
                    "indexes": [g["IndexName"] for g in table.get("GlobalSecondaryIndexes", [])],
                    "ttl": ttl["TimeToLiveDescription"].get("TimeToLiveStatus")}

    import asyncio  # noqa: PLC0415

    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    try:
        info = asyncio.run(status())
    except (ClientError, BotoCoreError) as error:
        raise fail(f"{settings.dynamodb_endpoint}: {type(error).__name__}", 3) from None
    for name, value in info.items():
        out.print(f"{name:8} {value}")


@user_app.command("add")
def user_add(
    email: str,
    scope: Annotated[list[str] | None, typer.Option(help="Scope to grant (repeatable).")] = None,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin.")] = False,
) -> None:
    """Create a verified account."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else getpass.getpass()
    settings = _admin_settings()

    async def add() -> str:
        from dynaguard.guard.policy import check_password  # noqa: PLC0415
        from dynaguard.store.users import normalize_email  # noqa: PLC0415

        async with _services(settings) as svc:
            address = normalize_email(email)
            await check_password(password, email=address, settings=settings)
            user = svc.users.new_user(address, await svc.passwords.hash(password),
                                      scope or list(settings.default_scopes))
            user = user.model_copy(update={"email_verified": True})
            from dynaguard.store.users import EmailTaken  # noqa: PLC0415

            try:
                await svc.users.create(user)
            except EmailTaken:
                raise fail(f"{address} already has an account", 1) from None
            await svc.audit.record("user_created", user_id=user.id, actor=CLI_ACTOR)
            return str(user.id)

    out.print(f"created user {run(add())}")


async def _user_id(svc: Any, email: str) -> str:
    from dynaguard.store.users import normalize_email  # noqa: PLC0415

    user_id = await svc.users.user_id_for_email(normalize_email(email))
    if user_id is None:
        raise fail(f"no account for {email}", 1)
    return str(user_id)


@user_app.command("disable")
def user_disable(email: str) -> None:
    """Disable an account: its sessions stop working on their next request."""

    async def disable() -> None:
        from dynaguard.guard.admin import disable_user  # noqa: PLC0415

        async with _services(_admin_settings()) as svc:
            await disable_user(svc, await _user_id(svc, email), actor=CLI_ACTOR)

    run(disable())
    out.print(f"disabled {email}")


@user_app.command("revoke-sessions")
def user_revoke_sessions(email: str) -> None:
    """End every session of an account."""

    async def revoke() -> None:
        from dynaguard.guard.admin import revoke_user_sessions  # noqa: PLC0415

        async with _services(_admin_settings()) as svc:
            await revoke_user_sessions(svc, await _user_id(svc, email), actor=CLI_ACTOR)

    run(revoke())
    out.print(f"revoked every session of {email}")


@keys_app.command("list")
def keys_list() -> None:
    """List the keys of the ring."""

    async def keys() -> tuple[list[Any], str]:
        async with _services(_admin_settings()) as svc:
            ring = svc.tokens.ring
            return list(ring.keys()), ring.signing_key().kid

    table = Table("kid", "created", "retires", "can sign", "signing now")
    listed, signing = run(keys())
    for key in listed:
        table.add_row(key.kid, str(key.created_at), str(key.expires_at or "-"),
                      "yes" if key.private else "no", "yes" if key.kid == signing else "")
    out.print(table)


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Add a new signing key; older keys keep verifying until their tokens expire."""
    settings = _admin_settings()

    async def rotate() -> str:
        from dynaguard.guard.admin import rotate_signing_key  # noqa: PLC0415

        async with _services(settings) as svc:
            key = await rotate_signing_key(svc, actor=CLI_ACTOR)
            return str(key.kid)

    out.print(f"new signing key {run(rotate())}")


def main() -> None:
    try:
        app()
    except MissingExtra as missing:
        # escaped: the message's "dynaguard[scan]" is not markup
        console.print(f"[bold red]error:[/] {escape(str(missing))}", highlight=False)
        sys.exit(2)
