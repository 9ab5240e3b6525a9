"""Development-only pages; never mounted in production mode.

Layer: web.
"""
