"""授权绑定 on the portal side: the bindings table, its transitions, 我的绑定 and the systems' API.

Layer: domain (models, transitions, calls, outbox, parties, staff); api.py and routes.py are
routers and pages.py their page helpers: web.
"""
