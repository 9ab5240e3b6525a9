"""实名等级升级: a personal account at 二级 becomes 三级 through the stronger check (the CTID app).

Layer: protocol and flows; routes.py is web.
"""
