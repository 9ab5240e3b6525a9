"""Who may bind a system at all: the catalogue's ``account_types`` and ``min_realname_level``
(idp/catalogue/systems.yaml). The licensed-pharmacist system (全国执业药师注册管理信息系统) is
bound by a personal account in its own capacity (个人登录) at 三级 only: 我的绑定 does not offer it
to a legal person or an agent, shows a 二级 account why (需三级实名认证), and start_binding refuses
a crafted request the same way. The system checks the claims again itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from idp.clients.registry import account_types
from idp.principals.principal import Principal


class Rules(Protocol):
    """What eligibility reads of a system (a ClientInfo has it)."""

    @property
    def account_types(self) -> tuple[str, ...]: ...

    @property
    def min_realname_level(self) -> int: ...


@dataclass(frozen=True)
class RowRules:
    """The rules from a clients row's two columns (我的绑定 reads them with the list)."""

    account_types: tuple[str, ...]
    min_realname_level: int

    @classmethod
    def of(cls, types: list | None, level: int | None) -> RowRules:
        return cls(account_types(types), level or 0)


def principal_kind(principal: Principal) -> str:
    """personal (个人登录, own capacity), legal_person, agent (a person acting for an enterprise), or
    official (a staff deployment's account, idp.accounts.officials)."""
    return "agent" if principal.is_agent else principal.account.account_type.value


def offered(principal: Principal, client: Rules) -> bool:
    """Whether 我的绑定 lists the system for this principal at all."""
    return principal_kind(principal) in client.account_types


def refusal(principal: Principal, client: Rules) -> str | None:
    """Why this principal may not bind the system (a message id), or None."""
    if not offered(principal, client):
        return "binding.account_type_refused"
    if (principal.account.realname_level or 0) < client.min_realname_level:
        return "binding.level_required"
    return None
