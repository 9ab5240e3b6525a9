"""用户解锁: a code to the registered mobile or e-mail unlocks an account locked by wrong
passwords (the by-code step is shared with 忘记密码, idp.flows.contact_code).

Layer: protocol and flows; routes.py is web.
"""
