"""The provincial administrators (省局管理员) of the licensed-pharmacist system: the common system
staff (accounts, argon2id, sessions behind a cookie of their own;
mock_systems/common/system_staff.py) on the pharmacist tables; a pharmacist's login never opens
their pages. Their pages are admin_pages.py."""
from __future__ import annotations

from mock_systems.common.system_staff import SystemStaff
from mock_systems.pharmacist.models import Administrator, AdminSession

ADMINS = SystemStaff(member=Administrator, session=AdminSession, member_column="admin_id",
                     cookie_suffix="_admin_session", login="/staff/login", logout="/staff/logout",
                     home="/staff/register", login_template="admin_login.html",
                     demo=("pharmacist_admin", "省局管理员周九"))
LOGIN = ADMINS.login
HOME = ADMINS.home
DEMO_ADMIN = ADMINS.demo
current_admin = ADMINS.current
