"""One-time codes by SMS or e-mail (用户解锁, 忘记密码, changing mobile or e-mail, the 三级 check):
sent within a per-destination cap, stored as a keyed digest, used once.

Layer: domain (no FastAPI, no templates); the flows and verification above it send and use codes.
"""
