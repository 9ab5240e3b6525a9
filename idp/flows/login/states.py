"""The states of login.

A login runs in an interaction (idp.oidc.interactions, the same browser-bound base as every
flow): its steps are flags in the parked request, and it finishes once, when the code is issued::

    login ──(法人登录 by an agent with several enterprises)──▶ agent choice ──▶ consent ──▶ finished
      └────────────────────────────────────────────────────────────────────▲

The agent's choice of enterprise is a flow of its own (kind ``agent_choice``)::

    CHOOSING ──选择企业 (the session starts for it)──▶ CHOSEN (finished)

The TOTP step where the deployment requires it (IDP_TOTP_REQUIRED) is a flow too (kind
``second_factor``, idp.flows.login.second_factor)::

    CODE_DUE ──a code that passes (the session starts)──▶ CODE_PASSED (finished)
"""
from enum import StrEnum


class State(StrEnum):
    CHOOSING = "choosing"
    CHOSEN = "chosen"
    CODE_DUE = "code_due"
    CODE_PASSED = "code_passed"
