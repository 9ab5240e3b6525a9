"""The operator's commands that the console (运维, /staff/ops) and its API share, through the
same services (idp/operations/): ``idp keys rotate``, ``idp clients rotate-secret|disable|enable|delete``,
``idp sessions list|end``, ``idp accounts find|unlock|disable|enable``. Recorded with actor ``cli``."""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx

from idp.db.engine import create_engine, create_sessionmaker
from idp.db.migrate import upgrade_to_head
from idp.oidc.logout.single_logout import wait_for_background_deliveries
from idp.operations import accounts, clients, keys, sessions
from idp.operations.client_deletion import delete_client
from idp.personal_data.loading import open_personal_data
from idp.portal import Portal
from idp.settings import Settings

CLI = "cli"


@contextlib.asynccontextmanager
async def operator_portal(settings: Settings) -> AsyncIterator[Portal]:
    """A portal for one command: its services end sessions (back-channel logout) like an instance."""
    engine = create_engine(settings.database_url, pooled=False)
    http = httpx.AsyncClient()
    try:
        await upgrade_to_head(engine, settings)
        portal = Portal.build(settings, engine, create_sessionmaker(engine), http)
        async with portal.sessionmaker.begin() as db:
            await open_personal_data(db, settings, *portal.engines)
        yield portal
        await wait_for_background_deliveries()  # the logouts started by the command (the outbox keeps the rest)
    finally:
        await http.aclose()
        await engine.dispose()


async def cmd_keys_rotate(settings: Settings, _args) -> None:
    async with operator_portal(settings) as portal:
        rotated = await keys.rotate_signing_keys(portal, actor=CLI)
    for key in rotated:
        print(f"{key.alg}: new key {key.kid} published now, signs from {key.signs_from.isoformat()}")


async def cmd_keys_list(settings: Settings, _args) -> None:
    async with operator_portal(settings) as portal:
        for key in await keys.list_keys(portal):
            print(f"{key.kid}\t{key.alg}\t{key.state}\tsigns from {key.signs_from.isoformat()}")


async def cmd_clients_rotate_secret(settings: Settings, args) -> None:
    async with operator_portal(settings) as portal:
        secret = await clients.rotate_client_secret(portal, args.client_id, actor=CLI)
    print(f"client_secret for {args.client_id} (shown once): {secret}")


async def cmd_clients_disable(settings: Settings, args) -> None:
    async with operator_portal(settings) as portal:
        await clients.disable_client(portal, args.client_id, actor=CLI)
    print(f"client {args.client_id} disabled: no authorization, token, refresh or UserInfo for it")


async def cmd_clients_delete(settings: Settings, args) -> None:
    async with operator_portal(settings) as portal:
        removed = await delete_client(portal, args.client_id, actor=CLI)
    print(f"client {args.client_id} deleted for good; removed: "
          + ", ".join(f"{count} {name}" for name, count in removed.items()))


async def cmd_clients_enable(settings: Settings, args) -> None:
    async with operator_portal(settings) as portal:
        await clients.enable_client(portal, args.client_id, actor=CLI)
    print(f"client {args.client_id} enabled")


async def cmd_sessions_list(settings: Settings, args) -> None:
    async with operator_portal(settings) as portal:
        _account, listed = await sessions.sessions_of_user(portal, args.username)
    for session in listed:
        print(f"{session.sid}\t{session.source_ip or '-'}\tlast seen {session.last_seen_at.isoformat()}\t"
              f"{', '.join(session.systems)}")


async def cmd_sessions_end(settings: Settings, args) -> None:
    async with operator_portal(settings) as portal:
        if args.sid:
            await sessions.end_user_session(portal, args.sid, actor=CLI)
            ended = 1
        else:
            _account, listed = await sessions.sessions_of_user(portal, args.username)
            for session in listed:
                await sessions.end_user_session(portal, session.sid, actor=CLI)
            ended = len(listed)
    print(f"{ended} session(s) ended, back-channel logout sent")


async def cmd_accounts_find(settings: Settings, args) -> None:
    async with operator_portal(settings) as portal:
        for view in await accounts.find_accounts(portal, args.words):
            state = "disabled" if view.disabled else "locked" if view.locked else "active"
            print(f"{view.id}\t{view.username}\t{view.name}\t{view.id_number}\t{view.mobile}\t{state}")


async def _account_id(portal: Portal, username: str) -> int:
    return (await sessions.account_by_username(portal, username)).id


async def cmd_accounts_unlock(settings: Settings, args) -> None:
    async with operator_portal(settings) as portal:
        await accounts.unlock_account(portal, await _account_id(portal, args.username), actor=CLI)
    print(f"account {args.username.lower()} unlocked")


async def cmd_accounts_disable(settings: Settings, args) -> None:
    async with operator_portal(settings) as portal:
        await accounts.disable_account(portal, await _account_id(portal, args.username), actor=CLI)
    print(f"account {args.username.lower()} disabled, its sessions ended")


async def cmd_accounts_enable(settings: Settings, args) -> None:
    async with operator_portal(settings) as portal:
        await accounts.enable_account(portal, await _account_id(portal, args.username), actor=CLI)
    print(f"account {args.username.lower()} enabled: it can log in again")


def add_operation_commands(keys_sub, clients_sub, accounts_sub, sub) -> None:
    keys_sub.add_parser("rotate", help="publish new signing keys; they sign after the publish lead").set_defaults(
        run=cmd_keys_rotate)
    keys_sub.add_parser("list", help="signing keys with their state").set_defaults(run=cmd_keys_list)
    rot = clients_sub.add_parser("rotate-secret", help="issue a new client secret, shown once")
    rot.add_argument("client_id")
    rot.set_defaults(run=cmd_clients_rotate_secret)
    for name, run, text in (("disable", cmd_clients_disable, "refuse the client everywhere (tokens included)"),
                            ("enable", cmd_clients_enable, "let a disabled client work again"),
                            ("delete", cmd_clients_delete, "delete a disabled client without live bindings: its "
                                                           "tokens, grants and consents go, the id is never reused")):
        command = clients_sub.add_parser(name, help=text)
        command.add_argument("client_id")
        command.set_defaults(run=run)
    find = accounts_sub.add_parser("find", help="accounts by username, mobile or ID number (masked)")
    find.add_argument("words")
    find.set_defaults(run=cmd_accounts_find)
    for name, run, text in (("unlock", cmd_accounts_unlock, "clear an account's login lockout"),
                            ("disable", cmd_accounts_disable, "disable an account; its sessions end"),
                            ("enable", cmd_accounts_enable, "enable an account disabled by an operator")):
        command = accounts_sub.add_parser(name, help=text)
        command.add_argument("username")
        command.set_defaults(run=run)
    user_sessions = sub.add_parser("sessions", help="users' login sessions").add_subparsers(
        dest="sessions_command", required=True)
    listing = user_sessions.add_parser("list", help="a user's live sessions")
    listing.add_argument("username")
    listing.set_defaults(run=cmd_sessions_list)
    end = user_sessions.add_parser("end", help="end a user's sessions (all, or --sid one) with back-channel logout")
    end.add_argument("username")
    end.add_argument("--sid", help="only this session")
    end.set_defaults(run=cmd_sessions_end)
