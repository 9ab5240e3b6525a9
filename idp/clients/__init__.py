"""Client rows, the registry cache and client authentication (RFC 6749 §2.3, RFC 7523).

Layer: domain, except admin.py (registering a client checks the provider's scopes): protocol.
"""
