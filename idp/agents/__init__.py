"""经办人 (agents): personal accounts a legal person authorized to act for its enterprise.

Layer: protocol and flows (transitions.py ends the agent's sessions, grants and bindings); the
经办人授权 pages are idp/web/space/agents.py (web). The agency and the principal are domain: idp/principals.
"""
