"""政务服务门户: the portal, an OpenID Connect provider.

Layers (docs/architecture.md): domain <- protocol and flows <- web <- composition (app.py, cli.py,
background.py, maintenance.py, schema.py, demo.py, testing/); imports point down only.
"""
