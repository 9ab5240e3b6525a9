"""Ending sessions: back-channel logout and single logout (the RP-initiated logout endpoint,
which answers with pages, is idp/web/logout.py).

Layer: protocol.
"""
