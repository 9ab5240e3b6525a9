"""What an operator's tools ask of a running instance: readiness, metrics read at scrape time;
and the operator console's services (clients.py, keys.py, sessions.py, accounts.py), which
运维's pages, its JSON API and the ``idp`` command line all call.

Layer: protocol and flows (it reads the provider's outbox tables and ends sessions through
idp.oidc.logout; the routers are in idp/web/operations.py and idp/web/staff/ops*.py).
"""
