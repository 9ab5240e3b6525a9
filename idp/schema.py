"""Every table of the portal, imported so that Base.metadata is complete (alembic, tests)."""
from idp.accounts.models import Account, AccountTotp, AccountType  # noqa: F401
from idp.audit.models import AuditEvent  # noqa: F401
from idp.bindings.models import Binding, BindingCall  # noqa: F401
from idp.captcha.models import Captcha  # noqa: F401
from idp.clients.models import Client, ClientAssertionJti  # noqa: F401
from idp.codes.models import OneTimeCode  # noqa: F401
from idp.consultations.models import Consultation  # noqa: F401
from idp.db.base import Base  # noqa: F401
from idp.flows.models import Flow  # noqa: F401
from idp.inbox.models import AccountMessage  # noqa: F401
from idp.keys.models import SigningKey  # noqa: F401
from idp.limits.models import WindowCounter  # noqa: F401
from idp.notify.models import OutboundMessage  # noqa: F401
from idp.oidc.models import (  # noqa: F401
    AccessToken,
    AuthorizationCode,
    Consent,
    Grant,
    Interaction,
    LogoutDelivery,
    RefreshToken,
)
from idp.personal_data.keys import PersonalDataKey  # noqa: F401
from idp.principals.models import Agency  # noqa: F401
from idp.sessions.models import SessionClient, UserSession  # noqa: F401
from idp.staff.models import StaffAccount, StaffRole, StaffSession  # noqa: F401
from idp.upstream_links.models import UpstreamLink  # noqa: F401
