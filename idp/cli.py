"""The operators' command line: ``idp migrate``, ``idp keys rotate``, ``idp clients …``,
``idp accounts create``, ``idp bindings force-unbind``, ``idp audit export``, ``idp seed-demo``."""
from __future__ import annotations

import argparse
import asyncio
import json
import sys

from idp.accounts.service import create_account
from idp.audit.export import export_chunks
from idp.audit.filters import TEXT_FIELDS, parse_filters
from idp.audit.log import record
from idp.audit.search import every_event
from idp.bindings.staff import StaffError, force_unbind_account
from idp.db.engine import create_engine, create_read_sessionmaker, create_sessionmaker
from idp.db.migrate import upgrade_to_head
from idp.demo import seed_demo
from idp.errors import DomainError
from idp.keys.store import ensure_signing_keys, rotate_keys
from idp.oidc.client_registration import ClientConfigError, load_catalogue, rotate_secret, upsert_client
from idp.portal import Portal
from idp.settings import Settings
from shared.hashing import Passwords


async def _with_db(settings: Settings, work):
    engine = create_engine(settings.database_url, pooled=False)
    try:
        await upgrade_to_head(engine)
        async with create_sessionmaker(engine).begin() as db:
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


async def cmd_keys_rotate(settings: Settings, _args) -> None:
    async def work(db):
        await ensure_signing_keys(db, settings)
        rows = await rotate_keys(db, settings)

        record(db, "keys.rotated", actor="cli", kids=[r.kid for r in rows])
        return rows

    rows = await _with_db(settings, work)
    for row in rows:
        print(f"{row.alg}: new key {row.kid} published now, signs from {row.signs_from.isoformat()}")


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


async def cmd_clients_rotate_secret(settings: Settings, args) -> None:
    secret = await _with_db(settings, lambda db: rotate_secret(db, args.client_id))
    print(f"client_secret for {args.client_id} (shown once): {secret}")


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
        await upgrade_to_head(engine)
        portal = Portal.build(settings, engine, create_sessionmaker(engine), http)
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


async def cmd_audit_export(settings: Settings, args) -> None:
    """The archive path: the search to stdout, streamed batch by batch; the export is itself recorded."""
    try:
        filters = parse_filters(vars(args))
    except DomainError as exc:
        raise ClientConfigError(exc.text()) from exc
    engine = create_engine(settings.database_url, pooled=False)
    try:
        await upgrade_to_head(engine)
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
    keys.add_parser("rotate", help="publish new signing keys; they sign after the publish lead").set_defaults(
        run=cmd_keys_rotate)
    clients = sub.add_parser("clients").add_subparsers(dest="clients_command", required=True)
    add = clients.add_parser("add", help="register or update a client from JSON metadata")
    add.add_argument("client_id")
    add.add_argument("json", help='e.g. {"display_name": "…", "redirect_uris": ["https://…/cb"], …}')
    add.set_defaults(run=cmd_clients_add)
    rot = clients.add_parser("rotate-secret", help="issue a new client secret, shown once")
    rot.add_argument("client_id")
    rot.set_defaults(run=cmd_clients_rotate_secret)
    clients.add_parser("load-catalogue", help="load the business-system catalogue").set_defaults(
        run=cmd_catalogue_load)
    accounts = sub.add_parser("accounts").add_subparsers(dest="accounts_command", required=True)
    create = accounts.add_parser("create")
    create.add_argument("username")
    create.add_argument("--password", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--type", choices=["personal", "legal_person"], default="personal")
    create.set_defaults(run=cmd_accounts_create)
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        asyncio.run(args.run(Settings(), args))
    except ClientConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
