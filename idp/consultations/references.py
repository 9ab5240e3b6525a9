"""Reference numbers (受理编号) users quote: ``ZX`` + the Beijing date + six random digits, e.g.
ZX20261204482913. Random, not a counter, so a reference tells nobody how many questions the
desk gets; the unique index settles the rare collision (the caller draws again)."""
from __future__ import annotations

import datetime as dt
import secrets

from idp.clock import BEIJING

PREFIX = "ZX"


def new_reference(now: dt.datetime) -> str:
    return f"{PREFIX}{now.astimezone(BEIJING):%Y%m%d}{secrets.randbelow(10**6):06d}"
