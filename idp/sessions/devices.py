"""The short description of a login's device shown on 登录设备 ("Chrome · Windows"), read once
from the User-Agent at login: the page needs no more, so no more of the header is kept."""
from __future__ import annotations

import re

# First match wins: Edge, Opera and the in-app browsers also say "Chrome" and "Safari".
BROWSERS = (
    (re.compile(r"MicroMessenger/"), "微信"),
    (re.compile(r"\bQQ/|MQQBrowser/|QQBrowser/"), "QQ浏览器"),
    (re.compile(r"UCBrowser/"), "UC浏览器"),
    (re.compile(r"Edg(e|A|iOS)?/"), "Edge"),
    (re.compile(r"OPR/|Opera"), "Opera"),
    (re.compile(r"Firefox/|FxiOS/"), "Firefox"),
    (re.compile(r"Chrome/|CriOS/|Chromium/"), "Chrome"),
    (re.compile(r"Version/[\d.]+.*Safari/"), "Safari"),
    (re.compile(r"MSIE |Trident/"), "Internet Explorer"),
)
SYSTEMS = (
    (re.compile(r"HarmonyOS|OpenHarmony"), "HarmonyOS"),
    (re.compile(r"iPhone|iPad|iPod"), "iOS"),
    (re.compile(r"Android"), "Android"),
    (re.compile(r"Windows"), "Windows"),
    (re.compile(r"Mac OS X|Macintosh"), "macOS"),
    (re.compile(r"CrOS"), "ChromeOS"),
    (re.compile(r"Linux|X11"), "Linux"),
)
UNKNOWN = "未知设备"


def describe_device(user_agent: str | None) -> str:
    """"Chrome · Windows", "微信 · iOS", or just one of the two, or 未知设备."""
    user_agent = user_agent or ""
    browser = next((name for pattern, name in BROWSERS if pattern.search(user_agent)), None)
    system = next((name for pattern, name in SYSTEMS if pattern.search(user_agent)), None)
    return " · ".join(part for part in (browser, system) if part) or UNKNOWN
