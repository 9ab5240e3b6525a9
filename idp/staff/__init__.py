"""Staff of the portal's operator (not portal users): their accounts, roles, TOTP second
factor and console sessions, with their own table, cookie and lockout.

Layer: domain.
"""
