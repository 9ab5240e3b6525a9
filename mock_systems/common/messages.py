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
    # 账号设置
    "settings.not_unbindable": "该绑定为直接授权创建的账号，不可解除。如需解除，请在政务服务门户的咨询栏目申请。",
    "settings.not_linked": "本系统账号未绑定政务服务门户账号。",
    "settings.login_required": "请先登录。",
    # UDI: 机构信息完善 and its review (seed 001, 第二步 2.1)
    "udi.field_required": "请填写{field}",
    "udi.field_too_long": "{field}不能超过{maximum}个字符",
    "udi.field_invalid": "{field}含有不能使用的字符",
    "udi.form_errors": "提交失败，请按提示修改后重新提交。",
    "udi.already_submitted": "您的机构信息已提交，正在等待审核，审核完成前不能修改。",
    "udi.already_reviewed": "该申请已被审核或已重新提交，请刷新后查看。",
    "udi.reason_required": "审核不通过时必须填写原因。",
    "udi.reason_too_long": "审核不通过的原因不能超过500个字符。",
    "udi.review_approved": "已审核通过，审核结果已通知联系人。",
    "udi.review_rejected": "已审核不通过，审核结果已通知联系人。",
    "udi.notice_subject": "医疗器械唯一标识管理信息系统注册用户信息审核结果：{result}",
    "udi.notice_approved": "{organisation}：您在医疗器械唯一标识管理信息系统提交的注册用户信息已审核通过。"
                           "请登录政务服务门户，在“我的绑定”中点击“医疗器械唯一标识管理信息系统”进入系统。",
    "udi.notice_rejected": "{organisation}：您在医疗器械唯一标识管理信息系统提交的注册用户信息审核不通过，"
                           "原因：{reason}。请登录政务服务门户，进入本系统修改机构信息后重新提交。",
}


def text(message_id: str, **values) -> str:
    template = MESSAGES.get(message_id) or SHARED[message_id]
    return template.format(**values) if values else template
