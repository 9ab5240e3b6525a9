"""The states of a 忘记密码 flow (kind ``recovery``).

::

    IDENTITY ──验证身份──▶ PASSWORD ──提交──▶ DONE (finished)
    REQUEST ──获取验证码──▶ CODE ──验证──▶ PASSWORD
                            └─ code spent ─▶ REQUEST

/recovery starts at IDENTITY, /recovery?way=code at REQUEST (the by-code step in
idp.flows.contact_code, shared with 用户解锁).
"""
from enum import StrEnum

from idp.flows import contact_code


class State(StrEnum):
    IDENTITY = "identity"
    REQUEST = contact_code.REQUEST
    CODE = contact_code.CODE
    PASSWORD = "password"
    DONE = "done"
