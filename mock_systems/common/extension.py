"""What a business system adds to the common application (``SystemProfile.extension``): its own
pages, an access gate in front of the common pages, and work at start-up and in the background.

The gate is asked before the home page and the account pages: it answers None (go on) or the
page to show instead, e.g. a form the account must fill before it may use the system. Kept on
the profile so that every way of building the app (``make run``, the tests) builds the same one.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

# Called as gate(request, system, account) with the SystemContext and the LocalAccount; both
# are left untyped here because the context holds the profile, which holds this extension.
AccessGate = Callable[..., Awaitable[Response | None]]


@dataclass(frozen=True)
class BindingRules:
    """A system's own rules of 授权绑定 (binding_start.py), beyond the common ones; the
    licensed-pharmacist system's: 个人登录 at 三级, and a register record that matches.

    - ``admit(system, intent)``, once the browser proved to be the binding's subject: None to go
      on, or the page refusing the binding; the refusal is then reported to the portal
      (``not_eligible``), so the binding is over at once and the user may retry when the cause
      is fixed.
    - ``check_existing(system, intent, account)``, mode existing, after the password: None, or
      the message id shown on the system's login form (another account may be tried).
    - ``on_created(db, system, intent, account)``, mode create, in the transaction that links the
      new account: the system's own records for it; a Refusal raised rolls everything back.
    """

    admit: Callable[..., Awaitable[Response | None]]
    check_existing: Callable[..., Awaitable[str | None]] | None = None
    on_created: Callable[..., Awaitable[None]] | None = None


@dataclass(frozen=True)
class SystemExtension:
    routers: tuple[APIRouter, ...] = ()
    # The system's own pages linked from the home page: (path, label), e.g. the drug system's 信息采集.
    home_links: tuple[tuple[str, str], ...] = ()
    access_gate: AccessGate | None = None
    # Asked when the portal sends a user in (third-party-initiated login, /auth/login with iss),
    # as gate(request, system, params): None goes on to the portal's login, or the page to show
    # first (the drug system's 是否登录 confirmation and CA prompt).
    before_portal_login: AccessGate | None = None
    # Run once at start-up, after the tables exist (e.g. seeding the system's own staff).
    # Called with (app, system) once at start-up.
    on_start: tuple[Callable[..., Coroutine[Any, Any, None]], ...] = ()
    # Background loops run for the app's lifetime with (system), cancelled at shutdown (e.g. an outbox).
    loops: tuple[Callable[..., Coroutine[Any, Any, None]], ...] = ()
    binding_rules: BindingRules | None = None
