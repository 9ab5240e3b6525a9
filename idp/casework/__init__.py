"""What staff do for a user on request (绑定管理, seed 004 三/四): deactivate a duplicate 二级
account. (Undoing a binding is idp.bindings.staff; the requests are idp.consultations.)

Layer: protocol and flows (ending an account's sessions is a single logout, idp.oidc.logout).
"""
