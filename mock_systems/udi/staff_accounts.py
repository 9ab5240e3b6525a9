"""The UDI system's review staff (审核人员): the common system staff (accounts, argon2id, sessions
behind a cookie of their own; mock_systems/common/system_staff.py) on the UDI tables. A user's
login never opens the review pages, and a reviewer's login is not a user's."""
from __future__ import annotations

from mock_systems.common.system_staff import SystemStaff
from mock_systems.udi.models import StaffMember, StaffSession

STAFF = SystemStaff(member=StaffMember, session=StaffSession, member_column="staff_id",
                    cookie_suffix="_staff_session", login="/staff/login", logout="/staff/logout",
                    home="/staff/reviews", login_template="staff_login.html", demo=("udi_staff", "审核员孙八"))
LOGIN = STAFF.login
DEMO_STAFF = STAFF.demo
current_staff = STAFF.current
