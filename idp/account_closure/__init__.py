"""注销账号 in the domain: the account's closure states (states.py: active → closing → closed) and
the erasure of its personal data (erasure.py).

Layer: domain. Above accounts, bindings, sessions, consultations, inbox, codes, notify and
upstream_links, whose rows a closure touches; none of them imports this package (accounts is
below bindings, so the closure cannot live in idp/accounts without an import running up).
"""
