"""What an operator's tools ask of a running instance: readiness, metrics read at scrape time.

Layer: protocol and flows (it reads the provider's outbox tables; the routers are in
idp/web/operations.py).
"""
