"""Enterprises, people and agencies for the 经办人 tests, made directly in the database (the
registration and 经办人授权 pages have their own tests)."""
from __future__ import annotations

from sqlalchemy import select

from idp.agents.models import Agency
from idp.agents import transitions
from idp.sessions.models import UserSession
from shared.identity import id_check_char, uscc_check_char
from tests.support.portal import PortalUnderTest


def citizen_id(serial: int, born: str = "19900101", region: str = "110105") -> str:
    first17 = f"{region}{born}{serial:03d}"
    return first17 + id_check_char(first17)


def credit_code(serial: int) -> str:
    first17 = f"91110105MA{serial:07d}"
    return first17 + uscc_check_char(first17)


async def add_enterprise(put: PortalUnderTest, username: str, enterprise_name: str, serial: int):
    return await put.add_account(username, account_type="legal_person", name="王法人",
                                 enterprise_name=enterprise_name, credit_code=credit_code(serial),
                                 id_type="居民身份证", id_number=citizen_id(900 + serial, "19700101"),
                                 realname_level=2)


async def add_person(put: PortalUnderTest, username: str, name: str, serial: int, *, realname_level: int = 2):
    return await put.add_account(username, name=name, id_type="居民身份证", id_number=citizen_id(serial),
                                 realname_level=realname_level)


async def authorize_agent(put: PortalUnderTest, enterprise, person) -> Agency:
    return await transitions.add_agent(put.portal, enterprise, person.id_number, source_ip=None)


async def sessions_of(put: PortalUnderTest, account_id: int) -> list[UserSession]:
    async with put.portal.reader() as db:
        return list((await db.scalars(select(UserSession).where(UserSession.account_id == account_id)
                                      .order_by(UserSession.created_at))).all())
