"""The commands of a staff deployment's operators (the supervision portal, docs/supervision.md):
``idp officials create`` opens an official's account (unit, jurisdiction), ``idp officials
reset-totp`` forgets its authenticator (a lost phone: it enrols again at its next login).
Also :func:`read_new_password`, which every command taking a new password uses."""
from __future__ import annotations

import getpass
import sys

from sqlalchemy import select

from idp.accounts import totp
from idp.accounts.models import Account, AccountType
from idp.accounts.officials import create_official
from idp.audit.log import record
from idp.cli_operations import CLI, operator_portal
from idp.errors import DomainError
from idp.oidc.client_registration import ClientConfigError
from idp.settings import Settings


def read_new_password(args) -> str:
    """From stdin (--password-stdin, for scripts) or typed twice at a prompt: never an argument,
    which would stay in the shell's history and the process list."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("password: ")
    if getpass.getpass("password again: ") != password:
        raise ClientConfigError("the two passwords differ")
    return password


async def cmd_officials_create(settings: Settings, args) -> None:
    password = read_new_password(args)
    async with operator_portal(settings) as portal, portal.sessionmaker.begin() as db:
        account = await create_official(db, portal.passwords, username=args.username, name=args.name,
                                        unit=args.unit, jurisdiction=args.jurisdiction, password=password, actor=CLI)
    print(f"official {account.username} created ({account.unit}, jurisdiction {account.jurisdiction}); "
          "TOTP is enrolled at its first login")


async def cmd_officials_reset_totp(settings: Settings, args) -> None:
    async with operator_portal(settings) as portal, portal.sessionmaker.begin() as db:
        account = await db.scalar(select(Account).where(Account.username == args.username.strip().lower(),
                                                        Account.account_type == AccountType.official))
        if account is None:
            raise DomainError("bindings_admin.account_not_found")
        await totp.reset(db, account.id)
        record(db, "account.totp_reset", actor=CLI, subject=account.subject)
    print(f"official {account.username}: TOTP reset; it enrols again at its next login")


def add_officials_commands(sub) -> None:
    officials = sub.add_parser("officials", help="a staff deployment's accounts (the supervision portal)")
    commands = officials.add_subparsers(dest="officials_command", required=True)
    create = commands.add_parser("create", help="open an official's account; the password is prompted for")
    create.add_argument("username")
    create.add_argument("--name", required=True)
    create.add_argument("--unit", required=True, help="单位, e.g. 浙江省药品监督管理局")
    create.add_argument("--jurisdiction", required=True,
                        help="the 6-digit division code of a province (330000) or a city (330100)")
    create.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    create.set_defaults(run=cmd_officials_create)
    reset = commands.add_parser("reset-totp", help="forget an official's authenticator (a lost phone)")
    reset.add_argument("username")
    reset.set_defaults(run=cmd_officials_reset_totp)
