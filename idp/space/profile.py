"""What 账号设置 shows about an account: masked identifiers and the real-name level in the
portal's wording (idp.accounts.display)."""
from __future__ import annotations

from dataclasses import dataclass

from idp.accounts.display import LEVELS, mask_id_number, mask_mobile
from idp.accounts.models import Account, AccountType


@dataclass(frozen=True)
class Profile:
    is_legal_person: bool
    space_name: str  # 个人空间 | 法人空间
    name: str
    username: str
    id_type: str
    id_number: str  # masked
    id_validity: str
    mobile: str  # masked
    mobile_verified: bool
    email: str
    email_verified: bool
    level: int
    level_text: str  # 二级, 三级
    enterprise_name: str
    credit_code: str
    acting_for: str = ""  # an agent (经办人) in 法人登录: the enterprise it acts for
    unit: str = ""  # an official (a staff deployment's account): its unit and jurisdiction
    jurisdiction: str = ""

    @property
    def is_agent(self) -> bool:
        return bool(self.acting_for)

    @property
    def can_upgrade(self) -> bool:
        """三级 is a personal account's check (the CTID app); a legal person has no upgrade."""
        return self.level == 2 and not self.is_legal_person


def id_validity(account: Account) -> str:
    if account.id_valid_from is None:
        return ""
    end = "长期" if account.id_long_term or account.id_valid_to is None else account.id_valid_to.isoformat()
    return f"{account.id_valid_from.isoformat()} 至 {end}"


def profile_of(account: Account, enterprise: Account | None = None) -> Profile:
    """``enterprise`` is set for an agent acting for it: the 法人空间 of that enterprise, with the
    agent's own account data in 账号设置."""
    legal = account.account_type == AccountType.legal_person
    official = account.account_type == AccountType.official
    return Profile(
        is_legal_person=legal,
        space_name="法人空间" if legal or enterprise is not None else "工作空间" if official else "个人空间",
        name=account.name,
        username=account.username,
        id_type=account.id_type or "",
        id_number=mask_id_number(account.id_number),
        id_validity=id_validity(account),
        mobile=mask_mobile(account.mobile),
        mobile_verified=bool(account.mobile) and account.mobile_verified_at is not None,
        email=account.email or "",
        email_verified=bool(account.email) and account.email_verified_at is not None,
        level=account.realname_level,
        level_text=LEVELS.get(account.realname_level, "未实名"),
        enterprise_name=account.enterprise_name or "",
        credit_code=account.credit_code or "",
        acting_for=enterprise.enterprise_name or "" if enterprise is not None else "",
        unit=account.unit or "", jurisdiction=account.jurisdiction or "",
    )
