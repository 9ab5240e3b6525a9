"""Portal accounts: the account row, its creation, lockout after wrong passwords, change notices
and how account data is shown (masked identifiers, real-name levels).

Layer: domain (no FastAPI, no templates).
"""
