"""账号设置 → 个人信息: everything the portal holds about an account, gathered in one place (PIPL
Art. 45, the right to access and copy; GB/T 35273 §8.1).

:func:`personal_data` returns plain dicts and lists, in full: the JSON download (behind a fresh
password check) is exactly this; :func:`masked` is what the page shows (ID numbers and mobiles
masked, as everywhere else in the portal). Everything is read through the ORM attributes and
the domain's own queries, so values stored encrypted come back as the code sees them.

What each system received is read from two places: the consents the user gave (scopes a system
may ask for without asking again) and the grants issued (scopes a system actually got tokens
for, and single claims asked for with the ``claims`` parameter); each becomes its claims by the
provider's own table and rules (idp.oidc.scopes).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from idp import clock
from idp.accounts.display import LEVELS, mask_id_number, mask_mobile
from idp.accounts.models import Account, AccountTotp, AccountType
from idp.agents.transitions import agencies_of_person, agents_of_enterprise
from idp.audit.models import AuditEvent
from idp.bindings.models import Binding
from idp.clients.models import Client
from idp.consultations.queries import for_account
from idp.inbox.models import AccountMessage
from idp.oidc.models import Consent, Grant
from idp.oidc.scopes import SCOPE_CLAIMS, SCOPE_LABELS, claims_for
from idp.sessions.store import live_sessions_of
from idp.settings import Settings
from idp.upstream_links.models import UpstreamLink

LOGIN_HISTORY = 50  # the most recent login events
LOGIN_EVENTS = {"login.succeeded": "登录成功", "login.failed": "登录失败", "account.locked": "账号锁定",
                "session.logout": "退出登录"}
OUTCOMES = {"success": "成功", "failure": "失败", "warning": "警告"}
BINDING_STATES = {"pending": "绑定中", "active": "已绑定", "unbinding": "解除中", "ended": "已解除",
                  "failed": "绑定失败"}
BINDING_KINDS = {"created": "直接授权创建的新账号", "existing": "已有账号授权"}
QUESTION_STATUSES = {"open": "待处理", "answered": "已回复", "closed": "已关闭"}
CHINA = dt.timezone(dt.timedelta(hours=8))


def shown(moment: dt.datetime | dt.date | None) -> str:
    """北京时间, to the minute (dates as they are)."""
    if moment is None:
        return ""
    if isinstance(moment, dt.datetime):
        return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    return moment.isoformat()


def account_part(account: Account) -> dict:
    return {
        "用户名": account.username,
        "账号类型": "法人账号" if account.account_type == AccountType.legal_person else "个人账号",
        "姓名": account.name, "证件类型": account.id_type or "", "证件号码": account.id_number or "",
        "注册时证件号码": account.id_number_original or "",
        "证件有效期起": shown(account.id_valid_from),
        "证件有效期止": "长期" if account.id_long_term else shown(account.id_valid_to),
        "手机号": account.mobile or "", "手机号验证时间": shown(account.mobile_verified_at),
        "电子邮箱": account.email or "", "电子邮箱验证时间": shown(account.email_verified_at),
        "实名等级": LEVELS.get(account.realname_level, "未实名"),
        **({"单位": account.unit or "", "管辖区域": account.jurisdiction or ""}
           if account.account_type == AccountType.official else {}),
        "注册时间": shown(account.created_at), "密码修改时间": shown(account.password_changed_at),
    }


def enterprise_part(account: Account) -> dict | None:
    if account.account_type != AccountType.legal_person:
        return None
    return {"企业名称": account.enterprise_name or "", "统一社会信用代码": account.credit_code or "",
            "法定代表人": account.name, "法定代表人证件号码": account.id_number or ""}


async def agents_part(db: AsyncSession, account: Account) -> dict:
    """A legal person's agents (name and username only: their data is theirs), or the
    enterprises a person acts for."""
    if account.account_type == AccountType.legal_person:
        return {"经办人": [{"姓名": person.name, "用户名": person.username, "授权时间": shown(agency.created_at)}
                        for agency, person in await agents_of_enterprise(db, account.id)]}
    return {"代办企业": [{"企业名称": enterprise.enterprise_name or "", "授权时间": shown(agency.created_at)}
                     for agency, enterprise in await agencies_of_person(db, account.id)]}


async def system_names(db: AsyncSession) -> dict[str, str]:
    return {client_id: name for client_id, name in await db.execute(select(Client.client_id, Client.display_name))}


async def bindings_part(db: AsyncSession, account: Account, names: dict[str, str]) -> list[dict]:
    rows = (await db.scalars(select(Binding).where(Binding.account_id == account.id)
                             .order_by(Binding.created_at, Binding.id))).all()
    return [{"业务系统": names.get(row.client_id, row.client_id), "状态": BINDING_STATES.get(row.state, row.state),
             "绑定方式": BINDING_KINDS.get(row.kind or "", ""), "业务系统账号": row.local_account or "",
             "代办企业授权": row.agency_id is not None,
             "绑定时间": shown(row.confirmed_at or row.created_at), "结束时间": shown(row.ended_at),
             "结束原因": row.ended_reason or ""} for row in rows]


def claims_of(scopes: set[str]) -> set[str]:
    return {claim for scope in scopes for claim in SCOPE_CLAIMS.get(scope, ())}


async def releases_part(db: AsyncSession, account: Account, names: dict[str, str]) -> list[dict]:
    """Per system: the scopes consented to, the scopes tokens were issued for, and the claims
    released: those of the scopes, and single claims a grant asked for with the ``claims``
    parameter (OIDC Core §5.5), as the provider's own :func:`claims_for` releases them."""
    registered = {client_id: scopes for client_id, scopes in await db.execute(select(Client.client_id,
                                                                                      Client.scopes))}
    consented: dict[str, set[str]] = {}
    for row in (await db.scalars(select(Consent).where(Consent.account_id == account.id))).all():
        consented.setdefault(row.client_id, set()).update(row.scopes)
    issued: dict[str, set[str]] = {}
    released: dict[str, set[str]] = {}
    for grant in (await db.scalars(select(Grant).where(Grant.account_id == account.id))).all():
        scope = grant.scope.split()
        issued.setdefault(grant.client_id, set()).update(scope)
        allowed = registered.get(grant.client_id)
        released.setdefault(grant.client_id, set()).update(
            claims_for(scope, grant.claims, "userinfo", allowed) | claims_for(scope, grant.claims, "id_token", allowed))
    rows = []
    for client_id in sorted(set(consented) | set(issued), key=lambda c: names.get(c, c)):
        scopes = consented.get(client_id, set()) | issued.get(client_id, set())
        rows.append({"业务系统": names.get(client_id, client_id),
                     "已同意的授权": sorted(consented.get(client_id, set())),
                     "已签发令牌的授权": sorted(issued.get(client_id, set())),
                     "授权说明": [SCOPE_LABELS[s] for s in sorted(scopes) if s in SCOPE_LABELS],
                     "提供的信息项": sorted(claims_of(scopes) | released.get(client_id, set()))})
    return rows


async def sign_in_part(db: AsyncSession, account: Account) -> dict:
    """The second factor and the links to the upstream identity provider (国家政务服务平台)."""
    totp = await db.get(AccountTotp, account.id)
    links = (await db.scalars(select(UpstreamLink).where(UpstreamLink.account_id == account.id)
                              .order_by(UpstreamLink.id))).all()
    return {"动态口令": "已启用" if totp is not None and totp.totp_enrolled_at is not None else "未启用",
            "关联的上级平台账号": [{"平台": link.upstream, "平台账号标识": link.subject,
                            "关联时间": shown(link.created_at), "最近登录": shown(link.last_login_at)}
                           for link in links]}


async def sessions_part(db: AsyncSession, settings: Settings, account: Account) -> list[dict]:
    return [{"设备": item.device or "未知设备", "登录地址": item.source_ip or "", "登录时间": shown(item.created_at),
             "最近活动": shown(item.last_seen_at), "访问的业务系统": list(item.systems)}
            for item in await live_sessions_of(db, settings, account.id)]


async def logins_part(db: AsyncSession, account: Account, names: dict[str, str]) -> list[dict]:
    rows = (await db.scalars(select(AuditEvent).where(AuditEvent.subject == account.subject,
                                                      AuditEvent.event.in_(LOGIN_EVENTS))
                             .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(LOGIN_HISTORY))).all()
    return [{"时间": shown(row.at), "事件": LOGIN_EVENTS[row.event], "结果": OUTCOMES.get(row.outcome, row.outcome),
             "地址": row.source_ip or "", "业务系统": names.get(row.client_id or "", row.client_id or "")}
            for row in rows]


async def consultations_part(db: AsyncSession, account: Account) -> list[dict]:
    return [{"编号": row.reference, "标题": row.title, "内容": row.description, "姓名": row.name,
             "证件号码": row.id_number, "手机号": row.mobile, "电子邮箱": row.email,
             "提交时间": shown(row.submitted_at), "状态": QUESTION_STATUSES.get(row.status, row.status),
             "答复": row.answer or ""}
            for row in await for_account(db, account.id)]


async def messages_part(db: AsyncSession, account: Account) -> list[dict]:
    rows = (await db.scalars(select(AccountMessage).where(AccountMessage.account_id == account.id)
                             .order_by(AccountMessage.id.desc()))).all()
    return [{"标题": row.title, "内容": row.body, "时间": shown(row.created_at), "已读": row.read_at is not None}
            for row in rows]


async def personal_data(db: AsyncSession, settings: Settings, account: Account) -> dict:
    """Everything about ``account``, in full; the keys are the page's headings."""
    names = await system_names(db)
    return {
        "账号信息": account_part(account), "企业信息": enterprise_part(account),
        "经办人授权": await agents_part(db, account), "我的绑定": await bindings_part(db, account, names),
        "业务系统获取的信息": await releases_part(db, account, names),
        "登录方式": await sign_in_part(db, account),
        "登录设备": await sessions_part(db, settings, account), "最近登录记录": await logins_part(db, account, names),
        "咨询": await consultations_part(db, account), "我的消息": await messages_part(db, account),
        "导出时间": shown(clock.now()),
    }


def masked(data: dict) -> dict:
    """What the page shows: ID numbers and mobiles masked (the download has them in full)."""
    account = dict(data["账号信息"])
    for key in ("证件号码", "注册时证件号码"):
        account[key] = mask_id_number(account[key])
    account["手机号"] = mask_mobile(account["手机号"])
    enterprise = data["企业信息"] and {**data["企业信息"],
                                     "法定代表人证件号码": mask_id_number(data["企业信息"]["法定代表人证件号码"])}
    consultations = [{**row, "证件号码": mask_id_number(row["证件号码"]), "手机号": mask_mobile(row["手机号"])}
                     for row in data["咨询"]]
    return {**data, "账号信息": account, "企业信息": enterprise, "咨询": consultations}
