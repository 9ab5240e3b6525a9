"""The staff console's pages, under /staff: sign-in with TOTP (login.py), the home page
(home.py), staff administration (admin.py), and the role guard every staff page uses (kit.py).
The other roles' pages (咨询受理, 绑定管理, 审计) live beside them and use the same kit.

Layer: web. The state they change lives below: idp.staff (accounts, roles, sessions, TOTP).
"""
STAFF = "/staff"  # every page of the console lives under it (the staff cookie's path)
STAFF_LOGIN = STAFF + "/login"
STAFF_LOGIN_CODE = STAFF_LOGIN + "/totp"  # the second step: the TOTP code, or enrolment
STAFF_LOGOUT = STAFF + "/logout"
CONSULTATIONS = STAFF + "/consultations"  # 咨询受理
BINDING_REQUESTS = STAFF + "/bindings"  # 绑定管理
AUDIT = STAFF + "/audit"  # 审计
STAFF_ADMIN = STAFF + "/admin"  # 管理员
OPERATIONS = STAFF + "/ops"  # 运维: the operator console
OPERATIONS_API = STAFF + "/api/ops"  # 运维: its JSON API (OpenAPI at OPERATIONS_API + "/openapi.json")
