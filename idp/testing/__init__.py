"""The integration harness for business-system teams: start the portal (as a process or
in-process) with test settings, seed accounts, register a team's own client, and drive what a
user does on the portal without a browser. Enable the fixtures with
``pytest -p idp.testing.pytest_plugin``; docs/integration.md shows an example test.

Never for production: the portal it starts accepts the test captcha answer and keeps messages.

Layer: composition (starts the app; imports any layer).
"""
