"""The drug system's provincial administrators (省局管理员): the common system staff (accounts,
argon2id, sessions behind a cookie of their own; mock_systems/common/system_staff.py) on the
drug tables. An enterprise's or a regulator's login never opens their pages. Their page is
admin_routes.py."""
from __future__ import annotations

from mock_systems.common.system_staff import SystemStaff
from mock_systems.drug.regulator_models import DrugAdmin, DrugAdminSession

ADMINS = SystemStaff(member=DrugAdmin, session=DrugAdminSession, member_column="admin_id",
                     cookie_suffix="_admin_session", login="/staff/login", logout="/staff/logout",
                     home="/staff/regulators", login_template="admin_login.html",
                     demo=("drug_admin", "北京市药品监督管理局管理员"))
current_admin = ADMINS.current
