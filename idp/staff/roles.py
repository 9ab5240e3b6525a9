"""The staff console's roles: each sees only what it needs (issue 10)."""
from __future__ import annotations

HELPDESK = "helpdesk"  # 咨询受理: the queue of questions
BINDINGS = "bindings"  # 绑定管理: 解除绑定 requests, force-unbind, duplicate accounts
AUDITOR = "auditor"  # 审计: the audit log, read-only
ADMIN = "admin"  # 管理员: staff accounts and roles
OPERATOR = "operator"  # 运维: clients, signing keys, users' sessions, account unlock and disable

ROLE_NAMES: dict[str, str] = {HELPDESK: "咨询受理", BINDINGS: "绑定管理", AUDITOR: "审计", ADMIN: "管理员",
                              OPERATOR: "运维"}
ROLES = tuple(ROLE_NAMES)
