"""Who is logged in and for whom: an account in its own name, or an agent (经办人) acting for an
enterprise through an agency. Sessions, codes, grants and bindings all speak for a principal.

Layer: domain (no FastAPI, no templates); the 经办人授权 feature (pages, add/remove) is idp/agents.
"""
