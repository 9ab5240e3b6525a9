"""Outbound SMS and e-mail: the senders and the development sink.

Layer: domain (no FastAPI, no templates).
"""
