"""Fetching the portal's binding intent and checking it: ours, pending, not expired, and a mode
the profile allows the account type (an agent may not create an account where the profile says so)."""
from __future__ import annotations

import re
import time

from mock_systems.common.context import SystemContext
from mock_systems.common.portal_client import PortalError
from mock_systems.common.settings import MissingClientSecret
from shared.binding import PORTAL_INTENT, Intent
from shared.refusals import Refusal

BINDING_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


async def fetch_intent(system: SystemContext, binding_id: str | None) -> Intent:
    """The portal's intent for this binding id, checked: ours, pending, not expired."""
    if not binding_id or not BINDING_ID.fullmatch(binding_id):
        raise Refusal("system.binding.invalid", detail="malformed binding id")
    try:
        data = await system.portal.binding_intent(PORTAL_INTENT, binding_id)
        intent = Intent.from_json(data)
    except (PortalError, MissingClientSecret) as exc:
        raise Refusal("system.binding.invalid", detail=str(exc)[:200]) from exc
    except TypeError as exc:  # a field missing from the portal's answer
        raise Refusal("system.binding.invalid", detail="incomplete intent") from exc
    if intent.binding_id != binding_id or intent.client_id != system.settings.client_id:
        raise Refusal("system.binding.invalid", detail="the intent is for another binding or system")
    if not isinstance(intent.sub, str) or not intent.sub or intent.mode not in ("create", "existing"):
        raise Refusal("system.binding.invalid", detail="the intent names no subject or mode")
    if intent.state != "pending":
        raise Refusal("system.binding.cancelled", detail=f"the binding is {str(intent.state)[:20]}")
    claims = intent.claims if isinstance(intent.claims, dict) else {}
    if intent.mode == "create" and claims.get("account_type") == "agent" and not system.profile.agents_may_create:
        # The portal refuses this already; the system does not rely on it.
        raise Refusal("system.binding.agent_may_not_create", detail="an agent may not create an account here")
    if not isinstance(intent.expires_at, (int, float)) or isinstance(intent.expires_at, bool) \
            or intent.expires_at <= time.time():
        raise Refusal("system.binding.invalid", detail="the binding has expired")
    return intent
