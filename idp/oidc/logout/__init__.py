"""Ending sessions: RP-initiated logout and back-channel logout.

Layer: protocol; rp_initiated.py (a router) is web.
"""
