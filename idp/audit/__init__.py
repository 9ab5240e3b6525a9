"""The append-only audit log.

Layer: domain (no FastAPI, no templates).
"""
