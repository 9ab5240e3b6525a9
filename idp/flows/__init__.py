"""Self-service flows (registration, recovery, unlock, upgrade): each a stored object with a
kind, a state, an expiry and a CSRF token bound to the browser.

Layer: protocol and flows (transitions, forms, the flow store); each flow's routes.py and
recovery/web.py are web.
"""
