"""忘记密码 (password recovery; docs/behaviours.md, Recovery and unlock): 1 信息验证 — by
identity data, or by a code sent to the registered mobile or e-mail (原找回密码方式) — 2 设置新密码,
3 完成.

Layer: protocol and flows; routes.py and web.py are web.
"""
