"""The states of a 注册 flow (kinds ``registration_legal`` and ``registration_personal``).

::

    法人: ENTERPRISE ──开始认证──▶ USER ──确认注册──▶ DONE (finished)
                      ◀──上一步───
    个人: FORM ──注册 (实名认证 and the account)──▶ DONE (finished)
"""
from enum import StrEnum


class State(StrEnum):
    ENTERPRISE = "enterprise"
    USER = "user"
    FORM = "form"
    DONE = "done"
