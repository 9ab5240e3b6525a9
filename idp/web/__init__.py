"""Pages: rendering, the spaces' page kit, login's consent pages, templates and static files.

Layer: web. Only the app factory (idp/app.py) imports a router.
"""
