"""国家政务服务平台账号登录: login through the upstream OpenID provider (identity brokering). The
portal is the upstream's relying party: the code flow with PKCE, state and nonce held in a flow
bound to this browser; the first login links an existing account by its password or creates one.

Layer: protocol and flows; routes.py (a router) is web.
"""
