"""Personal information at rest: ID numbers, mobiles and e-mail addresses stored encrypted
(SM4-GCM by default, AES-256-GCM selectable) and found by a keyed blind index (HMAC-SM3);
the data keys wrapped by the key-encryption key in the database (docs/security.md).

Layer: domain.
"""
