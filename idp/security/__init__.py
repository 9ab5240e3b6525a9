"""Random tokens, digests and constant-time comparison.

Layer: domain (the foundation every layer uses).
"""
