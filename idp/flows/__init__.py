"""Self-service flows (registration, recovery, unlock, upgrade, login): each a stored object with a
kind, a state, an expiry and a CSRF token bound to the browser.

Layer: protocol and flows (transitions, forms, the flow store); each flow's routes.py and
flows/web.py (starting a flow and running a POST step) are web. The base all of
them and login's interactions share is bound.py.
"""
