"""The OpenID provider, organised by specification.

Layer: protocol. The JSON endpoint modules that define a router (token_endpoint, userinfo,
introspection, revocation, discovery) count as web but import nothing from idp/web; the grants
the token endpoint runs (code_grant, refresh_grant, client_credentials_grant) are protocol. The
endpoints that answer with pages (authorize, logout, third-party login) live in idp/web.
"""
