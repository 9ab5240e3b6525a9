"""The states of a login through the upstream (a flow of kind ``upstream``, bound to the browser,
its id the ``state`` parameter sent upstream)::

    SENT ──callback: a linked identity──────────────────────────────▶ DONE (finished; logged in)
      └──callback: first login──▶ FIRST ──关联 (the account's password) ──▶ DONE
                                    └────创建账号 (username, password)────▶ DONE
"""
from enum import StrEnum

UPSTREAM = "upstream"  # the flow's kind


class State(StrEnum):
    SENT = "sent"
    FIRST = "first"
    DONE = "done"
