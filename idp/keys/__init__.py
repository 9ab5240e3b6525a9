"""Signing keys in the database (encrypted), rotation, JWS sign and verify.

Layer: domain (no FastAPI, no templates).
"""
