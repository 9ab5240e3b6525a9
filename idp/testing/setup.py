"""Seeding the harness's portal the way its operators do (the CLI's functions, straight into its
database): accounts to log in with, and a team's own client with the secret it is given once."""
from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field

from idp.accounts.service import create_account
from idp.clients.models import Client
from idp.db.engine import create_engine, create_sessionmaker
from idp.oidc.client_registration import rotate_secret, upsert_client
from idp.personal_data.loading import open_personal_data
from idp.security.tokens import digest
from idp.settings import Settings
from shared.hashing import Passwords

PASSWORD = "Test@2026pass"  # every seeded account's password unless the caller gives one
DEFAULT_SCOPES = ["openid", "profile", "phone", "identity", "enterprise"]


@contextlib.asynccontextmanager
async def admin_session(database_url: str):
    """A write transaction on the portal's database from outside the portal (the CLI's way)."""
    engine = create_engine(database_url, pooled=False)
    try:
        async with create_sessionmaker(engine).begin() as db:
            await open_personal_data(db, Settings(), engine)  # the CLI's settings: its key-encryption key
            yield db
    finally:
        await engine.dispose()


def _cheap_passwords() -> Passwords:
    # The hash records its parameters, so the portal verifies it whatever its own settings.
    return Passwords(memory_kib=64, time_cost=1, parallelism=1)


def _mobile_for(username: str) -> str:
    # Distinct per username: a mobile number is the login name of one personal account only.
    return "139" + str(int(hashlib.sha256(username.encode()).hexdigest(), 16))[:8]


async def add_account(database_url: str, username: str = "zhangsan", *, password: str = PASSWORD, **fields):
    """Any account; ``fields`` are the Account's columns (account_type, name, id_number, …)."""
    fields.setdefault("name", "张三")
    fields.setdefault("mobile", _mobile_for(username))
    fields.setdefault("email", f"{username}@example.com")
    async with admin_session(database_url) as db:
        return await create_account(db, _cheap_passwords(), username=username, password=password, **fields)


async def add_personal_account(database_url: str, username: str = "zhangsan", **fields):
    """A personal account (个人登录), real-name level 2 with a 居民身份证."""
    values = {"account_type": "personal", "name": "张三", "id_type": "居民身份证", "id_number": "110000198506120133",
              "realname_level": 2}
    return await add_account(database_url, username, **{**values, **fields})


async def add_legal_person(database_url: str, username: str = "qiye", **fields):
    """A legal person (法人登录): the enterprise and its legal representative."""
    values = {"account_type": "legal_person", "name": "李四", "id_type": "居民身份证",
              "id_number": "330000197001010023",
              "enterprise_name": "示例医疗器械有限公司", "credit_code": "91110105PDY0001752", "realname_level": 2}
    return await add_account(database_url, username, **{**values, **fields})


@dataclass
class SeededAccount:
    username: str
    password: str
    subject: str
    window: str  # the login page's window: "personal" or "legal"


@dataclass
class SeededAccounts:
    personal: SeededAccount
    legal_person: SeededAccount


async def seed_accounts(database_url: str) -> SeededAccounts:
    """One personal account (zhangsan) and one legal person (qiye), both with PASSWORD."""
    person = await add_personal_account(database_url, "zhangsan")
    company = await add_legal_person(database_url, "qiye")
    return SeededAccounts(SeededAccount("zhangsan", PASSWORD, person.subject, "personal"),
                          SeededAccount("qiye", PASSWORD, company.subject, "legal"))


@dataclass
class TeamClient:
    """A registered client and the secret the operators hand over once."""

    client_id: str
    client_secret: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)

    @property
    def redirect_uri(self) -> str:
        return self.redirect_uris[0]

    @property
    def post_logout_redirect_uri(self) -> str | None:
        return self.post_logout_redirect_uris[0] if self.post_logout_redirect_uris else None


async def register_client(database_url: str, client_id: str, *, redirect_uris: list[str],
                          post_logout_redirect_uris: list[str] | None = None, backchannel_logout_uri: str | None = None,
                          initiate_login_uri: str | None = None, binding_start_uri: str | None = None,
                          binding_api_uri: str | None = None, scopes: list[str] | None = None,
                          display_name: str | None = None, secret: str | None = None, **values) -> TeamClient:
    """Register (or update) a confidential client as ``idp clients add`` does and rotate its
    secret (``idp clients rotate-secret``); ``values`` are further client fields (first_party, …).
    ``secret``: keep this one instead (a system under test started with its secret configured).
    A running portal sees the change once its client cache expires (IDP_CLIENT_CACHE_SECONDS)."""
    metadata = {
        "display_name": display_name or f"测试应用 {client_id}",
        "redirect_uris": list(redirect_uris),
        "post_logout_redirect_uris": list(post_logout_redirect_uris or []),
        "grant_types": ["authorization_code", "refresh_token"],
        "scopes": list(scopes or DEFAULT_SCOPES),
        "first_party": True,
        "token_endpoint_auth_method": "client_secret_basic",
        **values,
    }
    # Only what is given: re-registering a catalogue client keeps the endpoints not named here.
    optional = {"backchannel_logout_uri": backchannel_logout_uri, "initiate_login_uri": initiate_login_uri,
                "binding_start_uri": binding_start_uri, "binding_api_uri": binding_api_uri}
    metadata.update({name: uri for name, uri in optional.items() if uri is not None})
    async with admin_session(database_url) as db:
        await upsert_client(db, client_id, metadata, source="cli", production=False)
        rotated = await rotate_secret(db, client_id)
        if secret is not None:
            # Only the digest is stored, as rotate_secret stores it; for tests only.
            (await db.get(Client, client_id)).secret_digest = digest(secret)
    return TeamClient(client_id, secret or rotated, metadata["redirect_uris"], metadata["post_logout_redirect_uris"],
                      metadata)
