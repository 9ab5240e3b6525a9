"""授权绑定 on the portal side: the bindings table, its transitions and the systems' API.

Layer: domain (models, transitions, calls, outbox, parties, staff); api.py, the systems' API, is a
router: web. 我的绑定 is idp/web/space/bindings.py.
"""
