"""The OpenID provider, organised by specification.

Layer: protocol. The endpoint modules that define a router (authorize, token_endpoint,
userinfo, introspection, revocation, discovery, third_party_login, logout/rp_initiated) are web.
"""
