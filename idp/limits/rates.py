"""Rate limits: every abuse limit of the portal by name, its budget, and the one way to count a hit.

A limit is a budget of hits per window for one scope: a source address, an account, a
destination. Each place that limits something calls :func:`hit` with the limit's name and the
scope; an exhausted budget is a ``DomainError`` with status 429 whose values carry the seconds to
wait (``retry_after``, for the ``Retry-After`` header) and the minutes the message names. The
counters are where every instance sees them (idp.limits.backends: the database, or Redis), so a
second instance behind the load balancer does not double a budget (OWASP ASVS 4.0 V2.2.1, V11.1.4).

The budgets: :data:`DEFAULTS`, a few from the older settings that still name them, and
``IDP_RATE_LIMITS`` ("name=hits/seconds,…") over both (docs/operations.md, "Rate limits").
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from idp.errors import DomainError
from idp.limits.backends import counters_for
from idp.metrics import count_rate_limited
from idp.personal_data.ring import ring_of
from idp.portal import Portal
from idp.settings import Settings

# A hit of one limit for one scope: (limit name, who).
Hit = tuple[str, str | int | None]


@dataclass(frozen=True)
class Rate:
    hits: int
    window_seconds: int


# name: (hits, window in seconds). The per-address budgets allow a busy office behind one NAT
# address a day's work; the per-account ones a person who mistypes.
DEFAULTS: dict[str, Rate] = {
    "login_per_address": Rate(100, 600),  # login attempts (both windows, agents' too) from one address
    "login_per_account": Rate(30, 600),  # attempts naming one login name (the lockout counts the wrong ones)
    "recovery_per_address": Rate(100, 3600),  # 忘记密码 steps posted from one address
    "unlock_per_address": Rate(100, 3600),  # 用户解锁 steps posted from one address
    "registration_per_address": Rate(100, 3600),  # registration forms posted from one address
    "staff_login_per_address": Rate(100, 600),  # staff console sign-in steps (password, code) from one address
    "staff_login_per_account": Rate(30, 600),  # staff sign-ins naming one username (its lockout counts wrong ones)
    "codes_per_address": Rate(30, 3600),  # codes by SMS or e-mail requested from one address
    "codes_per_destination_hourly": Rate(10, 3600),  # codes to one mobile or e-mail address, whatever the captcha says
    # The older settings' limits (their settings stay their defaults):
    "codes_per_destination": Rate(5, 600),  # IDP_CODE_SENDS_PER_WINDOW / IDP_CODE_SEND_WINDOW_SECONDS
    "codes_per_account": Rate(5, 600),  # the same settings
    "codes_per_login_name": Rate(5, 600),  # the same settings: codes asked for under one login name, matched or not
    "recovery_identity_per_address": Rate(10, 3600),  # IDP_RECOVERY_IDENTITY_FAILURES_PER_ADDRESS / …_WINDOW_SECONDS
    "consultations_per_address": Rate(10, 3600),  # IDP_CONSULTATIONS_PER_ADDRESS / IDP_CONSULTATION_WINDOW_SECONDS
    "consultations_per_account": Rate(10, 3600),  # questions filed by one signed-in account (the same settings)
    "lookups_per_address": Rate(10, 3600),  # IDP_CONSULTATION_LOOKUPS_PER_ADDRESS / …_WINDOW_SECONDS
}


def rate_of(settings: Settings, name: str) -> Rate:
    """The budget of limit ``name``: IDP_RATE_LIMITS, else the older setting, else the default."""
    if name in settings.rate_limit_overrides:
        return Rate(*settings.rate_limit_overrides[name])
    older = {
        "codes_per_destination": (settings.code_sends_per_window, settings.code_send_window_seconds),
        "codes_per_account": (settings.code_sends_per_window, settings.code_send_window_seconds),
        "codes_per_login_name": (settings.code_sends_per_window, settings.code_send_window_seconds),
        "recovery_identity_per_address": (settings.recovery_identity_failures_per_address,
                                      settings.recovery_identity_address_window_seconds),
        "consultations_per_address": (settings.consultations_per_address, settings.consultation_window_seconds),
        "consultations_per_account": (settings.consultations_per_address, settings.consultation_window_seconds),
        "lookups_per_address": (settings.consultation_lookups_per_address, settings.consultation_lookup_window_seconds),
    }
    return Rate(*older[name]) if name in older else DEFAULTS[name]


def check_limit_names(settings: Settings) -> None:
    """Refuse to start on an IDP_RATE_LIMITS entry that names no limit."""
    unknown = sorted(set(settings.rate_limit_overrides) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"IDP_RATE_LIMITS names no such limit: {', '.join(unknown)} (known: {', '.join(DEFAULTS)})")


def _scope(db: AsyncSession, name: str, who: str | int | None) -> str:
    # The address may be unknown (no peer); all such requests share one budget. ``who`` may be a
    # mobile, an e-mail address or an ID number typed as a login name: the counter keeps its keyed
    # digest (the blind index, idp.personal_data), so neither the table nor Redis holds it.
    return f"rate:{name}:{'' if who is None else ring_of(db).index(str(who).casefold())}"


async def hit(db: AsyncSession, settings: Settings, name: str, who: str | int | None, *,
              message_id: str = "limits.too_many") -> None:
    """Count one hit of limit ``name`` for ``who``, or refuse it (429, nothing counted).

    On the database the count is part of ``db``'s transaction: a caller that must count a
    refused attempt too commits it in a transaction of its own before the attempt's."""
    rate = rate_of(settings, name)
    wait = await counters_for(settings).take(db, _scope(db, name, who), rate.hits, rate.window_seconds)
    if wait is not None:
        count_rate_limited(name)
        raise DomainError(message_id, status_code=429, detail=f"rate limit {name}", retry_after=wait,
                          minutes=max(1, math.ceil(wait / 60)))


async def hit_each(db: AsyncSession, settings: Settings, *hits: Hit,
                   message_id: str = "limits.too_many") -> None:
    """:func:`hit` for each (name, who) in order; when one refuses, the ones already counted
    are given back, so a refused request counts against none."""
    taken: list[Hit] = []
    try:
        for name, who in hits:
            await hit(db, settings, name, who, message_id=message_id)
            taken.append((name, who))
    except DomainError:
        for name, who in taken:
            await give_back(db, settings, name, who)
        raise


async def hit_now(portal: Portal, *hits: Hit, message_id: str = "limits.too_many") -> None:
    """:func:`hit_each` in a transaction of its own, committed before the request goes on: an
    attempt that then fails (a wrong password) still counts."""
    async with portal.sessionmaker.begin() as db:
        await hit_each(db, portal.settings, *hits, message_id=message_id)


async def give_back(db: AsyncSession, settings: Settings, name: str, who: str | int | None) -> None:
    """Undo one hit that turned out not to count (a right answer is no guess)."""
    await counters_for(settings).give_back(db, _scope(db, name, who))

