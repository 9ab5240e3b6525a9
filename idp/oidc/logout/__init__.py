"""Ending sessions: RP-initiated logout and back-channel logout."""
