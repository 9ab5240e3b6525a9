"""The drug system as a relying party of the supervision portal (综合监管门户, docs/supervision.md)
besides the enterprises' portal: the second provider's settings, and the binding rules that
keep the two populations apart.

Settings are ``BIZ_DRUG_SUPERVISION_…`` variables (mock_systems/README.md): its issuer, the
client id and secret the drug system has there, and a base URL under ``/supervision`` where
the provider's endpoints are mounted (common/providers.py). 授权绑定 from the supervision portal
binds existing regulator accounts only (opened by the province's administrator); the
enterprises' portal never binds one.
"""
from __future__ import annotations

from pydantic import SecretStr
from starlette.responses import Response

from mock_systems.common.context import SystemContext
from mock_systems.common.extension import BindingRules
from mock_systems.common.pages import message_page
from mock_systems.common.settings import PROJECT_ROOT, SystemSettings
from mock_systems.drug.regulators import regulator_of
from shared.messages import text

NAME = "supervision"
PREFIX = "/supervision"
ENV_PREFIX = "BIZ_DRUG_SUPERVISION_"
DEFAULTS = {"issuer": "http://127.0.0.1:8300", "client_id": "drug_supervision",
            "scope": "openid profile identity supervision",
            # where `idp seed-demo` of make run's supervision portal writes its systems' secrets
            "client_secrets_file": PROJECT_ROOT / "var" / "supervision-client-secrets.json"}


def supervision_settings(main: SystemSettings, **values) -> SystemSettings:
    """``values``, then BIZ_DRUG_SUPERVISION_… variables, then the defaults: the issuer of `make
    run`'s supervision portal, the client id there, and the system's own base URL, database and
    timings with the prefix."""
    # pydantic-settings' init-time prefix; the dataclass-style signature mypy sees omits it.
    own = SystemSettings(_env_prefix=ENV_PREFIX, **values)  # type: ignore[call-arg]
    inherited = main.model_dump(exclude={"client_secret", "client_secrets_file"})
    chosen = {name: getattr(own, name) for name in own.model_fields_set}
    settings = SystemSettings(**{**inherited, **DEFAULTS, "base_url": main.base_url + PREFIX,
                                 "client_secret": None, **chosen})
    if isinstance(chosen.get("client_secret"), SecretStr):
        settings = settings.model_copy(update={"client_secret": chosen["client_secret"]})
    return settings


def is_supervision(system: SystemContext) -> bool:
    return system.provider == NAME


async def admit(system: SystemContext, intent) -> Response | None:
    """From the supervision portal, only 已有用户的登录授权: a regulator's account is opened by
    its province's administrator, never created by a binding."""
    if is_supervision(system) and intent.mode != "existing":
        return message_page(system, text("drug.regulation.bind_existing_only"), 403, "regulators bind existing only")
    return None


async def check_existing(system: SystemContext, intent, account) -> str | None:
    """A regulator account binds to the supervision portal only, any other account to the portal only."""
    async with system.sessionmaker() as db:
        regulator = await regulator_of(db, account.id)
    if is_supervision(system) and regulator is None:
        return "drug.regulation.not_a_regulator_account"
    if not is_supervision(system) and regulator is not None:
        return "drug.regulation.regulator_account"
    return None


RULES = BindingRules(admit=admit, check_existing=check_existing)
