"""个人空间 and 法人空间: the logged-in user's space and its 账号设置 (profile, real-name level,
change password, change mobile or e-mail by a code sent to the new one).

Layer: protocol and flows (transitions, forms, profile); the pages are idp/web/space/ (web).
"""
