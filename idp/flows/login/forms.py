"""The login form: which window, the login name, password and captcha.

Nothing here touches the database; :mod:`.transitions` decides what a login name means.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

LEGAL = "legal"  # 法人登录: legal persons (and agents, from the agents issue) by username
PERSONAL = "personal"  # 个人登录: personal accounts by username, ID number or mobile
WINDOWS = (LEGAL, PERSONAL)
SINGLE = "single"  # a staff deployment's one window (IDP_LOGIN_WINDOWS=single): officials by username
DEFAULT_WINDOW = LEGAL  # the guides list 法人登录 first and tell users to switch to 个人登录
# Where a portal login may continue afterwards: a path on this site, never another origin
# (no scheme, no "//host", no backslash that a browser would read as a slash).
LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9/_.~%=&?-]{0,200}")


def window_of(value, single: bool = False) -> str:
    """The window asked for; a deployment with one window has only that one."""
    if single:
        return SINGLE
    return value if value in WINDOWS else DEFAULT_WINDOW


def local_path(value) -> str | None:
    """The value when it is a safe path on this site, else None."""
    value = str(value or "")
    return value if LOCAL_PATH.fullmatch(value) else None


@dataclass(frozen=True)
class LoginForm:
    interaction: str
    csrf_token: str
    window: str
    login_name: str
    password: str
    captcha_id: str
    captcha_answer: str

    @classmethod
    def parse(cls, form, single: bool = False) -> LoginForm:
        def field(name: str) -> str:
            return str(form.get(name) or "")

        return cls(
            interaction=field("interaction"), csrf_token=field("csrf_token"),
            window=window_of(form.get("window"), single),
            login_name=field("username").strip(), password=field("password"),
            captcha_id=field("captcha_id"), captcha_answer=field("captcha"),
        )
