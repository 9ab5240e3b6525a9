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
    # 授权绑定 (seed 000: the first two word for word)
    "binding.no_such_user": "用户绑定授权异常: 用户不存在",
    "binding.wrong_password": "用户绑定授权异常: 密码错误",
    "binding.invalid": "授权绑定请求无效或已失效，请回到政务服务门户“我的绑定”重新授权绑定。",
    "binding.cancelled": "该授权绑定请求已取消或已结束，请回到政务服务门户“我的绑定”重新授权绑定。",
    "binding.subject_linked": "用户绑定授权异常：当前政务门户用户已经绑定了{system}，请勿重新绑定！",
    "binding.account_taken": "用户绑定授权异常：该账号已经绑定了其他政务服务门户用户，"
                             "请使用其他账号，或选择“直接授权创建新的账号”。",
    "binding.portal_login_required": "请先在本浏览器登录政务服务门户，再从政务服务门户“我的绑定”授权绑定本系统。",
    "binding.not_subject": "该授权绑定请求不属于当前登录政务服务门户的用户，已拒绝。"
                           "请使用本人的政务服务门户账号，从“我的绑定”授权绑定。",
    "binding.agent_may_not_create": "经办人不能通过“直接授权创建新的账号”绑定本系统，"
                                    "请使用“已有用户的登录授权”绑定本系统已有的子账号。",
    # 账号设置 and 完善用户信息
    "settings.not_unbindable": "该绑定为直接授权创建的账号，不可解除。如需解除，请在政务服务门户的咨询栏目申请。",
    "settings.not_linked": "本系统账号未绑定政务服务门户账号。",
    "settings.login_required": "请先登录。",
    "complete.required": "请填写所有带*号的必填项。",
}


def text(message_id: str, **values) -> str:
    template = MESSAGES.get(message_id) or SHARED[message_id]
    return template.format(**values) if values else template
