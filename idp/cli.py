"""The operators' command line: ``idp migrate``, ``idp keys …`` (``rewrap`` here; ``add-data-key``
and ``reencrypt``: cli_personal_data.py), ``idp clients …``,
``idp accounts …``, ``idp sessions …`` (the console's operations: cli_operations.py),
``idp bindings force-unbind``, ``idp audit export``, ``idp staff …``, ``idp officials …``
(cli_officials.py), ``idp seed-demo``."""
from __future__ import annotations

import argparse
import asyncio
import json
import sys

from cryptography.fernet import InvalidToken

from idp.accounts.service import create_account
from idp.audit.export import export_chunks
from idp.audit.filters import TEXT_FIELDS, parse_filters
from idp.audit.log import record
from idp.audit.search import every_event
from idp.bindings.staff import StaffError, force_unbind_account
from idp.cli_officials import add_officials_commands, read_new_password
from idp.cli_operations import add_operation_commands
from idp.cli_personal_data import add_personal_data_commands
from idp.db.engine import create_engine, create_read_sessionmaker, create_sessionmaker
from idp.db.migrate import upgrade_to_head
from idp.demo import seed_demo
from idp.errors import DomainError
from idp.keys.rewrap import rewrap_secrets
from idp.oidc.client_registration import ClientConfigError, load_catalogue, rotate_secret, upsert_client
from idp.personal_data.loading import open_personal_data
from idp.portal import Portal
from idp.settings import Settings
from idp.staff import accounts as staff_accounts
from idp.staff.roles import ROLE_NAMES
from shared.hashing import Passwords


async def _with_db(settings: Settings, work):
    engine = create_engine(settings.database_url, pooled=False)
    try:
        await upgrade_to_head(engine, settings)
        async with create_sessionmaker(engine).begin() as db:
            await open_personal_data(db, settings, engine)
            return await work(db)
    finally:
        await engine.dispose()


def _passwords(settings: Settings) -> Passwords:
    return Passwords(memory_kib=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost,
                     parallelism=settings.argon2_parallelism)


async def cmd_migrate(settings: Settings, _args) -> None:
    await _with_db(settings, lambda db: _noop())
    print("database is at the newest migration")


async def _noop():
    return None


async def cmd_keys_rewrap(settings: Settings, _args) -> None:
    outcome = await _with_db(settings, lambda db: rewrap_secrets(db, settings, actor="cli"))
    print(f"re-encrypted with the current key-encryption key: {outcome.signing_keys} signing keys, "
          f"{outcome.totp_secrets} TOTP secrets, {outcome.data_keys} personal data keys "
          f"({outcome.already_current} already were); "
          "the previous keys can now be removed from IDP_PREVIOUS_KEY_ENCRYPTION_KEYS")


async def cmd_clients_add(settings: Settings, args) -> None:
    values = json.loads(args.json)

    async def work(db):
        await upsert_client(db, args.client_id, values, source="cli", production=settings.is_production, actor="cli")
        if values.get("token_endpoint_auth_method", "client_secret_basic").startswith("client_secret"):
            return await rotate_secret(db, args.client_id)
        return None

    secret = await _with_db(settings, work)
    print(f"client {args.client_id} registered")
    if secret:
        print(f"client_secret (shown once): {secret}")


async def cmd_catalogue_load(settings: Settings, _args) -> None:
    async def work(db):
        ids = await load_catalogue(db, settings.catalogue_path, production=settings.is_production, actor="cli")
        record(db, "client.catalogue_loaded", actor="cli", path=str(settings.catalogue_path), systems=len(ids))
        return ids

    ids = await _with_db(settings, work)
    print(f"{len(ids)} business systems loaded")


async def cmd_accounts_create(settings: Settings, args) -> None:
    async def work(db):
        return await create_account(db, _passwords(settings), username=args.username, password=args.password,
                                    name=args.name, account_type=args.type, actor="cli")

    account = await _with_db(settings, work)
    print(f"account {account.username} created, subject {account.subject}")


async def cmd_seed_demo(settings: Settings, _args) -> None:
    for line in await _with_db(settings, lambda db: seed_demo(db, settings, _passwords(settings))):
        print(line)


async def cmd_bindings_force_unbind(settings: Settings, args) -> None:
    import httpx

    engine = create_engine(settings.database_url, pooled=False)
    http = httpx.AsyncClient()
    try:
        await upgrade_to_head(engine, settings)
        portal = Portal.build(settings, engine, create_sessionmaker(engine), http)
        async with portal.sessionmaker.begin() as db:
            await open_personal_data(db, settings, *portal.engines)
        try:
            state = await force_unbind_account(portal, args.username, args.client_id, reason=args.reason,
                                               staff=args.staff)
        except StaffError as exc:
            raise ClientConfigError(str(exc)) from exc
    finally:
        await http.aclose()
        await engine.dispose()
    if state == "ended":
        print(f"binding of {args.username} to {args.client_id} ended")
    else:
        print(f"binding of {args.username} to {args.client_id} is unbinding: the system will be asked again")


async def _staff_by_name(db, username: str):
    account = await staff_accounts.find_staff(db, username)
    if account is None:
        raise DomainError("staff.not_found")
    return account


async def cmd_staff_create(settings: Settings, args) -> None:
    password = read_new_password(args)

    async def work(db):
        return await staff_accounts.create_staff(db, _passwords(settings), username=args.username, name=args.name,
                                                 password=password, roles=args.role, by=staff_accounts.CLI)

    account = await _with_db(settings, work)
    print(f"staff member {account.username} created ({', '.join(ROLE_NAMES[r] for r in sorted(args.role))}); "
          "TOTP is enrolled at the first sign-in at /staff/login")


def _staff_change(change, done: str):
    """A command changing one staff member found by username."""
    async def command(settings: Settings, args) -> None:
        async def work(db):
            account = await _staff_by_name(db, args.username)
            await change(db, account.id, args)
        await _with_db(settings, work)
        print(f"staff member {args.username.lower()}: {done}")
    return command


cmd_staff_disable = _staff_change(lambda db, staff_id, _a: staff_accounts.disable_staff(
    db, staff_id, by=staff_accounts.CLI), "disabled, its sessions ended")
cmd_staff_enable = _staff_change(lambda db, staff_id, _a: staff_accounts.enable_staff(
    db, staff_id, by=staff_accounts.CLI), "enabled")
cmd_staff_roles = _staff_change(lambda db, staff_id, args: staff_accounts.set_roles(
    db, staff_id, args.role, by=staff_accounts.CLI), "roles set")
cmd_staff_reset_totp = _staff_change(lambda db, staff_id, _a: staff_accounts.reset_totp(
    db, staff_id, by=staff_accounts.CLI), "TOTP reset; it enrols again at its next sign-in")


def add_staff_commands(sub) -> None:
    staff = sub.add_parser("staff", help="staff console accounts").add_subparsers(dest="staff_command", required=True)
    roles_help = "a role: " + ", ".join(f"{role} ({name})" for role, name in ROLE_NAMES.items())
    create = staff.add_parser("create", help="a new staff member; the password is prompted for")
    create.add_argument("username")
    create.add_argument("--name", required=True)
    create.add_argument("--role", action="append", required=True, choices=list(ROLE_NAMES), help=roles_help)
    create.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    create.set_defaults(run=cmd_staff_create)
    for name, run, text in (("disable", cmd_staff_disable, "stop a member signing in; ends its sessions"),
                            ("enable", cmd_staff_enable, "let a disabled member sign in again (lifts a lockout)"),
                            ("reset-totp", cmd_staff_reset_totp, "forget a member's authenticator (a lost phone)")):
        command = staff.add_parser(name, help=text)
        command.add_argument("username")
        command.set_defaults(run=run)
    roles = staff.add_parser("roles", help="set a member's roles (every role it is to have)")
    roles.add_argument("username")
    roles.add_argument("--role", action="append", required=True, choices=list(ROLE_NAMES), help=roles_help)
    roles.set_defaults(run=cmd_staff_roles)


async def cmd_audit_export(settings: Settings, args) -> None:
    """The archive path: the search to stdout, streamed batch by batch; the export is itself recorded."""
    try:
        filters = parse_filters(vars(args))
    except DomainError as exc:
        raise ClientConfigError(exc.text()) from exc
    engine = create_engine(settings.database_url, pooled=False)
    try:
        await upgrade_to_head(engine, settings)
        async with create_sessionmaker(engine).begin() as db:
            record(db, "audit.export", actor="cli", format=args.format, filters=filters.as_text())
        out = sys.stdout.buffer
        async for chunk in export_chunks(args.format, every_event(create_read_sessionmaker(engine), filters)):
            out.write(chunk.encode())
        out.flush()
    finally:
        await engine.dispose()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="idp", description="政务服务门户 operations")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="upgrade the database to the newest migration").set_defaults(run=cmd_migrate)
    sub.add_parser("seed-demo", help="development data: demo accounts and client secrets").set_defaults(
        run=cmd_seed_demo)
    keys = sub.add_parser("keys").add_subparsers(dest="keys_command", required=True)
    keys.add_parser("rewrap", help="re-encrypt every stored secret with the current IDP_KEY_ENCRYPTION_KEY "
                    "(after rotating it)").set_defaults(run=cmd_keys_rewrap)
    clients = sub.add_parser("clients").add_subparsers(dest="clients_command", required=True)
    add = clients.add_parser("add", help="register or update a client from JSON metadata")
    add.add_argument("client_id")
    add.add_argument("json", help='e.g. {"display_name": "…", "redirect_uris": ["https://…/cb"], …}')
    add.set_defaults(run=cmd_clients_add)
    clients.add_parser("load-catalogue", help="load the business-system catalogue").set_defaults(
        run=cmd_catalogue_load)
    accounts = sub.add_parser("accounts").add_subparsers(dest="accounts_command", required=True)
    create = accounts.add_parser("create")
    create.add_argument("username")
    create.add_argument("--password", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--type", choices=["personal", "legal_person"], default="personal")
    create.set_defaults(run=cmd_accounts_create)
    add_operation_commands(keys, clients, accounts, sub)
    add_personal_data_commands(keys)
    bindings = sub.add_parser("bindings").add_subparsers(dest="bindings_command", required=True)
    force = bindings.add_parser("force-unbind", help="staff: undo a binding (不可解除 included), recorded")
    force.add_argument("username")
    force.add_argument("client_id")
    force.add_argument("--reason", required=True)
    force.add_argument("--staff", required=True, help="the staff member's id, for the audit log")
    force.set_defaults(run=cmd_bindings_force_unbind)
    audit = sub.add_parser("audit").add_subparsers(dest="audit_command", required=True)
    export = audit.add_parser("export", help="the audit log (or a search of it) as CSV or NDJSON on stdout, "
                                             "newest first: the archive before the purge")
    export.add_argument("--since", help="from this time on (Beijing time unless an offset is given), "
                                        "e.g. '2026-06-01 00:00' or 2026-06-01T00:00+00:00")
    export.add_argument("--until", help="before this time (same format)")
    export.add_argument("--event", help="an event type, or a prefix ending in '.' such as binding.")
    for name in TEXT_FIELDS:
        if name != "event":
            export.add_argument(f"--{name.replace('_', '-')}", dest=name)
    export.add_argument("--format", choices=["csv", "json"], default="csv", help="json: NDJSON, one event a line")
    export.set_defaults(run=cmd_audit_export)
    add_staff_commands(sub)
    add_officials_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        asyncio.run(args.run(Settings(), args))
    except ClientConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except DomainError as exc:  # a rule refused the change (the staff commands)
        print(f"error: {exc.text()}", file=sys.stderr)
        return 2
    except InvalidToken:  # idp keys rewrap: nothing was changed
        print("error: a stored secret is encrypted with a key that is not configured; add that key to "
              "IDP_PREVIOUS_KEY_ENCRYPTION_KEYS", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
