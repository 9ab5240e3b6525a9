"""The states of a 实名等级提升 flow (kind ``upgrade``), owned by one account and one browser.

::

    (开始认证: the confirmation is sent) SENT ──确认──▶ DONE (finished; the account is 三级)
"""
from enum import StrEnum


class State(StrEnum):
    SENT = "sent"
    DONE = "done"
