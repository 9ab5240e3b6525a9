"""Client rows, the registry cache and client authentication (RFC 6749 §2.3, RFC 7523).

Layer: domain (client registration, which checks the provider's scopes, is idp/oidc/client_registration.py).
"""
