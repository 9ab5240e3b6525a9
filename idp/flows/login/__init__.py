"""Login: one page, two windows (法人登录, 个人登录), graphic captcha and lockout.

Layer: protocol and flows; routes.py and agent_choice.py (routers) are web.
"""
