"""Fetching the portal's binding intent and checking it: ours, pending, not expired, and a mode
the profile allows the account type (an agent may not create an account where the profile says so)."""
from __future__ import annotations

import re
import time

from mock_systems.common.context import SystemContext
from mock_systems.common.portal_client import PortalError
from mock_systems.common.settings import MissingClientSecret
from shared.binding import PORTAL_INTENT, Intent

BINDING_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class IntentRefused(Exception):
    """The binding cannot go on here; ``args[0]`` is the message id, ``args[1]`` the ASCII detail."""


async def fetch_intent(system: SystemContext, binding_id: str | None) -> Intent:
    """The portal's intent for this binding id, checked: ours, pending, not expired."""
    if not binding_id or not BINDING_ID.fullmatch(binding_id):
        raise IntentRefused("binding.invalid", "malformed binding id")
    try:
        data = await system.portal.binding_intent(PORTAL_INTENT, binding_id)
        intent = Intent.from_json(data)
    except (PortalError, MissingClientSecret) as exc:
        raise IntentRefused("binding.invalid", str(exc)[:200]) from exc
    except TypeError as exc:  # a field missing from the portal's answer
        raise IntentRefused("binding.invalid", "incomplete intent") from exc
    if intent.binding_id != binding_id or intent.client_id != system.settings.client_id:
        raise IntentRefused("binding.invalid", "the intent is for another binding or system")
    if not isinstance(intent.sub, str) or not intent.sub or intent.mode not in ("create", "existing"):
        raise IntentRefused("binding.invalid", "the intent names no subject or mode")
    if intent.state != "pending":
        raise IntentRefused("binding.cancelled", f"the binding is {str(intent.state)[:20]}")
    claims = intent.claims if isinstance(intent.claims, dict) else {}
    if intent.mode == "create" and claims.get("account_type") == "agent" and not system.profile.agents_may_create:
        # The portal refuses this already; the system does not rely on it.
        raise IntentRefused("binding.agent_may_not_create", "an agent may not create an account here")
    if not isinstance(intent.expires_at, (int, float)) or isinstance(intent.expires_at, bool) \
            or intent.expires_at <= time.time():
        raise IntentRefused("binding.invalid", "the binding has expired")
    return intent
