"""What the business systems say to users (Chinese). Captcha messages come from the portal's
catalogue (shared.messages), so both say the same."""
from __future__ import annotations

from shared.messages import MESSAGES as SHARED

MESSAGES: dict[str, str] = {
    "local.wrong_credentials": "用户名或密码错误",
    "local.required": "请输入用户名和密码",
    "not_linked": "您的政务服务门户账号尚未授权绑定本系统，请在政务服务门户“我的绑定”中授权绑定。",
    "login.expired": "登录请求已失效，请重新登录。",
    "login.wrong_issuer": "登录请求不是来自本系统信任的政务服务门户，已拒绝。",
    "login.denied": "您未完成政务服务门户的登录或授权，请重新登录。",
    "login.failed": "通过政务服务门户登录失败：门户返回的登录凭证未通过校验，请重新登录。",
    "login.portal_unavailable": "暂时无法连接政务服务门户，请稍后再试。",
    "page.expired": "页面已失效，请刷新后重试。",
}


def text(message_id: str, **values) -> str:
    template = MESSAGES.get(message_id) or SHARED[message_id]
    return template.format(**values) if values else template
