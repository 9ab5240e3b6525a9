"""Self-service flows (registration, recovery, unlock, upgrade): each a stored object with a
kind, a state, an expiry and a CSRF token bound to the browser."""
