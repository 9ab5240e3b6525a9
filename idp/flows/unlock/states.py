"""The states of a 用户解锁 flow (kind ``unlock``).

::

    REQUEST ──获取验证码──▶ CODE ──验证 (lockout cleared)──▶ DONE (finished)
                            └─ code spent ─▶ REQUEST

The by-code step is idp.flows.contact_code, shared with 忘记密码.
"""
from enum import StrEnum

from idp.flows import contact_code


class State(StrEnum):
    REQUEST = contact_code.REQUEST
    CODE = contact_code.CODE
    DONE = "done"
