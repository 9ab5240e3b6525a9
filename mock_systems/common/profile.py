"""What makes one business system itself: its client id, name, port and demo accounts.

Everything else (login through the portal, local login, sessions, logout) is common code.
"""
from __future__ import annotations

from dataclasses import dataclass

from mock_systems.common.extension import SystemExtension

# Public by design, like the portal's demo password: README.md and `make run` print it.
DEMO_LOCAL_PASSWORD = "Local@2026pass"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    organisation: str


@dataclass(frozen=True)
class SystemProfile:
    client_id: str  # as registered in the portal (idp/catalogue/systems.yaml)
    display_name: str
    port: int  # the development port of `make run`
    demo_accounts: tuple[DemoAccount, ...] = ()
    # Whether an agent (经办人, account_type "agent") may bind with 直接授权创建新的账号; a system
    # that says no lets agents bind existing sub-accounts only (UDI; docs/behaviours.md, Agents).
    agents_may_create: bool = True
    # The system's own pages, access gate and background work (extension.py), if any.
    extension: SystemExtension | None = None

    @property
    def env_prefix(self) -> str:
        """Settings come from BIZ_<ID>_… variables, e.g. BIZ_UDI_ISSUER."""
        return "BIZ_" + self.client_id.upper().replace("-", "_") + "_"

    @property
    def cookie_prefix(self) -> str:
        # All systems run on 127.0.0.1 in development, and cookies ignore the port: each
        # system needs cookie names of its own, or one would log out of another.
        return "biz_" + self.client_id.replace("-", "_")


def demo_accounts(client_id: str) -> tuple[DemoAccount, ...]:
    """Two accounts per system: one to bind, one left for trying the binding rules."""
    return (
        DemoAccount(f"{client_id}_demo", "王五", "示例医疗器械有限公司"),
        DemoAccount(f"{client_id}_demo2", "赵六", "示例药业股份有限公司"),
    )
