"""注册: legal-person accounts (开始认证 → 创建用户 → 确认注册) and personal accounts (实名认证, 二级).

Layer: protocol and flows; routes.py is web.
"""
