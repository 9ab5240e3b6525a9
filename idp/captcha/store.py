"""Issuing and consuming a form's graphic captcha (图形验证码).

A page asks :func:`issue_captcha` for a fresh id, puts it in a hidden field and shows
``<img src="/captcha/<id>.png">`` (idp.captcha.routes); the answer never leaves the server. The
POST checks it with :func:`consume_captcha`, which consumes it, right or wrong.
"""
from __future__ import annotations

import functools
import re

from sqlalchemy.ext.asyncio import AsyncSession

from idp.captcha.providers import CaptchaProvider, check_captcha, make_provider
from idp.portal import Portal

CAPTCHA_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what new_token() makes


@functools.cache
def provider(name: str) -> CaptchaProvider:
    """One provider per process: the image one loads its fonts once."""
    return make_provider(name)


async def issue_captcha(portal: Portal, db: AsyncSession) -> str:
    """A fresh captcha for a page that is about to be rendered; the caller commits ``db``."""
    return await provider(portal.settings.captcha_provider).issue(db)


async def consume_captcha(db: AsyncSession, captcha_id: str, answer: str) -> str | None:
    """Check and consume the captcha a form posted: None when right, else a message id.

    A malformed id (a NUL breaks a PostgreSQL query) is simply an expired captcha."""
    if not CAPTCHA_ID.fullmatch(captcha_id or ""):
        return "captcha.expired"
    return await check_captcha(db, captcha_id, answer)
