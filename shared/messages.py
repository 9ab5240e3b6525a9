"""Every user-visible message, by id, in one catalogue (the guides' wording where they have one).

What belongs here: each text that code raises or returns to a user — a refusal (shared.refusals),
a form error, a notice after a change, an error page, an SMS or e-mail — for the portal and for
the business systems alike (they import ``shared``, never ``idp``). Static page copy (headings,
labels, buttons) stays in the templates; field labels passed as ``{label}`` stay with the form.
Ids are namespaced by area: the portal's by feature (``login.``, ``binding.``, ``agents.``…),
``page.`` for both sides' page errors, and the business systems' under ``system.`` (all of them),
``drug.``, ``udi.`` and ``pharmacist.``. One id, one text: an id two places need is defined once.

Code refers to messages by id; pages render ``text(id, **values)``. The catalogue is kept in
three modules by concept — the portal's own here, the business systems' in messages_systems.py,
the service around the provider (help desk, staff and operator consoles, audit) in
messages_service.py — and merged below; an id is defined in exactly one of them.
"""
from __future__ import annotations

from shared.messages_service import SERVICE_MESSAGES
from shared.messages_systems import SYSTEM_MESSAGES

MESSAGES: dict[str, str] = {
    # login
    "login.wrong_credentials": "输入的用户名或密码错误",
    "login.locked": "账号已被锁定，请{minutes}分钟后再试，或通过“用户解锁”立即解锁。",
    "captcha.wrong": "图形验证码错误，请重新输入",
    "captcha.expired": "图形验证码已过期，请刷新后重新输入",
    # identifiers (shared.identity)
    "credit_code.format": "统一社会信用代码格式不正确，应为18位数字或大写字母",
    "credit_code.check": "统一社会信用代码校验位不正确，请核对后重新输入",
    "credit_code.org_code_check": "统一社会信用代码中的组织机构代码校验未通过，已记录待人工核实",
    "id_number.format": "证件号码格式不正确，居民身份证号码应为18位（或15位旧号码）",
    "id_number.region": "证件号码的地址码不正确，请核对后重新输入",
    "id_number.birth_date": "证件号码中的出生日期不正确，请核对后重新输入",
    "id_number.check": "证件号码校验位不正确，请核对后重新输入",
    "mobile.format": "手机号码格式不正确，请输入11位手机号码",
    "email.format": "电子邮箱格式不正确",
    "password.rule": "密码应为8~16个字符，至少包含大写字母、小写字母、数字、特殊符号中的三种类型",
    "password.common": "该密码是常见的弱密码（已在泄露密码库中出现），容易被猜中，请设置其他密码",
    "password.personal": "密码不能包含用户名、姓名、手机号码或证件号码（含其中连续6位及以上数字），请设置其他密码",
    "password.mismatch": "两次输入的密码不一致",
    # registration
    "id_number.exists": "证件号码已存在，请通过“忘记密码”找回原账号后使用原账号办理业务。",
    "credit_code.exists": "该统一社会信用代码已注册法人账号，请通过“忘记密码”找回原账号。",
    "realname.failed": "实名认证未成功，请核对填写的身份证信息",
    # registration (法人 and 个人) and the upgrade to 三级
    "registration.required": "请输入{label}",
    "registration.choose": "请选择{label}",
    "registration.too_long": "{label}不能超过{max}个字符",
    "registration.name_format": "{label}格式不正确，请核对后重新输入",
    "registration.id_number_format": "证件号码格式不正确，请核对后重新输入",
    "registration.residence_permit_region": "居住证号码的地址码与证件类型不符，请核对后重新输入",
    "registration.date_format": "证件有效期格式不正确，请按照xxxx-xx-xx格式输入",
    "registration.valid_from_future": "证件有效期开始时间不能晚于今天",
    "registration.valid_to_required": "请选择证件有效期结束时间；若证件长期有效，请勾选“长期”",
    "registration.valid_to_and_long_term": "证件长期有效时无需选择结束时间",
    "registration.valid_to_order": "证件有效期结束时间应晚于开始时间",
    "registration.expired": "证件已过有效期，请使用有效证件注册",
    "registration.username_rule": "用户名应为4~20个字符，以字母开头，可包含字母、数字和下划线",
    "registration.username_exists": "用户名已存在，请更换用户名",
    "registration.mobile_exists": "该手机号码已被其他个人账号使用，请更换手机号码；如为本人账号，请找回原账号。",
    "registration.enterprise_failed": "法人实名认证未成功，请核对企业名称、统一社会信用代码及法定代表人姓名、证件号码"
                                      "是否与营业执照登记信息一致",
    "registration.ctid_hint": "身份证为长期的，确认填写无误的情况下，部分出现“实名认证未成功”。请在手机应用市场下载"
                              "“CTID”（居民身份证网上功能凭证）客户端，使用“识别身份证”的方式开通，开通成功后重新注册即可。",
    "upgrade.already": "您的账号实名等级已是三级，无需升级",
    "upgrade.not_eligible": "仅实名等级为二级的个人账号可以升级为三级",
    "upgrade.unavailable": "三级实名认证暂未开通，请稍后再试",
    "upgrade.code_required": "请输入CTID客户端显示的确认码",
    "upgrade.code_format": "确认码为6位数字，请核对后重新输入",
    "upgrade.code_wrong": "确认码错误或已失效，请重新输入，或重新发起认证",
    # 用户解锁 and 忘记密码; one wording whether or not an account matched
    "contact.login_required": "请输入登录账号",
    "contact.channel_required": "请选择找回方式",
    "contact.destination_required": "请输入您的手机号或邮箱",
    "contact.code_sent": "若您填写的登录账号和{channel}与账号登记的信息一致，验证码已发送至{destination}，"
                         "{minutes}分钟内有效。",
    "code.required": "请输入收到的验证码",
    "code.format": "验证码为6位数字，请核对后重新输入",
    "code.wrong": "验证码错误，请重新输入",
    "code.expired": "验证码已失效，请重新获取验证码",
    "code.too_many_sends": "验证码发送过于频繁，请{minutes}分钟后再试",
    "captcha.required": "请输入图形验证码",
    "recovery.id_type": "该证件类型请通过“原找回密码方式”使用手机号或邮箱找回密码",
    "recovery.name_required": "请输入姓名",
    "recovery.id_number_required": "请输入身份证号码",
    "recovery.valid_from_required": "请选择身份证有效期开始时间",
    "recovery.valid_date_format": "身份证有效期格式不正确，请按照xxxx-xx-xx格式输入身份证有效期",
    "recovery.valid_to_order": "身份证有效期结束时间应晚于开始时间",
    "recovery.identity_mismatch": "身份信息验证未通过，请核对填写的姓名、身份证号码和身份证有效期",
    "recovery.identity_too_many": "身份信息验证失败次数过多，请{minutes}分钟后再试，或通过“原找回密码方式”使用手机号或邮箱找回密码",
    # 账号设置: change password, mobile, e-mail
    "settings.old_password_required": "请输入原密码",
    "settings.old_password_wrong": "原密码输入错误",
    "settings.password_same": "新密码不能与原密码相同",
    "settings.password_changed": "密码修改成功，其他设备上的登录已全部退出。",
    "settings.mobile_same": "新手机号与当前手机号相同",
    "settings.mobile_taken": "该手机号已被其他个人账号使用，请更换手机号",
    "settings.email_same": "新电子邮箱与当前电子邮箱相同",
    "settings.code_format": "请输入6位数字验证码",
    "settings.code_wrong": "验证码错误或已失效，请重新输入或重新获取验证码",
    "settings.mobile_changed": "手机号修改成功",
    "settings.email_changed": "电子邮箱修改成功",
    # 账号设置 asks for the current password before a recovery means changes (ASVS V7.5.1)
    "settings.current_password_required": "请输入当前登录密码",
    "settings.current_password_wrong": "当前登录密码输入错误",
    "settings.device_ended": "已退出该设备上的登录，其访问过的业务系统也已通知退出。",
    "settings.devices_ended": "已退出其他所有设备上的登录，其访问过的业务系统也已通知退出。",
    # 账号设置 → 注销账号 (idp.accounts.closure, idp.space.closure)
    "closure.not_active": "该账号已注销或正在注销中",
    "closure.not_closing": "该账号不在注销中",
    "closure.pending": "该账号还有未解除的业务系统绑定，解除后将自动完成注销",
    "closure.agent_session": "经办人身份登录时不能注销账号，请通过个人登录注销您本人的账号",
    "closure.official": "监管人员账号由运维人员开设和注销，不能自行注销",
    "closure.confirm_required": "请勾选“我已阅读并同意注销须知”",
    "closure.no_contact": "该账号没有手机号或电子邮箱，无法发送验证码，请通过在线咨询联系工作人员注销",
    "closure.staff_request_title": "账号注销：解除{system}的绑定",
    "closure.staff_request_body": "用户已申请注销政务服务门户账号。该账号在{system}的绑定为直接授权创建的新账号，用户不可自行解除，请解除该绑定。解除后账号将自动完成注销。",
    "closure.ended_reason": "用户注销政务服务门户账号",
    # binding, word for word (docs/behaviours.md, Binding)
    "binding.no_such_user": "用户绑定授权异常: 用户不存在",
    "binding.wrong_password": "用户绑定授权异常: 密码错误",
    "binding.already_bound": "用户绑定授权异常：当前政务门户用户已经绑定了{system}，请勿重新绑定！",
    "binding.create_new_note": "将在业务系统中注册新帐号，无法主动解绑！",
    "binding.existing_note": "使用原业务系统账号密码登录，可在帐号设置中解绑！",
    "binding.excluded": "用户绑定授权异常：当前政务门户用户已经绑定了{system}，不能同时绑定{other}，"
                        "请通过法人授权经办人绑定{other}。",
    "binding.not_bindable": "该业务系统暂不支持授权绑定。",
    "binding.pending_unreachable": "上一次绑定{system}尚未完成，且暂时无法联系该业务系统，请{minutes}分钟后再试。",
    "binding.not_unbindable": "该绑定为直接授权创建的新账号，无法主动解绑。",
    "binding.not_bound": "当前政务门户用户尚未绑定{system}。",
    "binding.unbind_requested": "已申请解除与{system}的绑定，业务系统确认后即解除。",
    "binding.unbound": "已解除与{system}的绑定。",
    # what a system reports back to 我的绑定 (?result=…): known codes only, never the query's text
    "binding.result_linked": "已成功授权绑定{system}。",
    "binding.result_cancelled": "已取消授权绑定{system}。",
    "binding.result_account_taken": "用户绑定授权异常：{system}的该账号已经绑定了其他政务服务门户用户，"
                                    "请使用其他账号，或选择“直接授权创建新的账号”。",
    "binding.result_expired": "授权绑定{system}的请求已过期，请重新授权绑定。",
    "binding.sso_unbound": "您尚未绑定{system}，请先在“我的绑定”中授权绑定后再单点登录。",
    # who may bind a system (catalogue account_types, min_realname_level: idp.bindings.eligibility)
    "binding.account_type_refused": "{system}仅支持个人账号以本人身份（个人登录）授权绑定，法人账号和经办人不能绑定。",
    "binding.level_required": "{system}要求实名等级为三级，您的账号需三级实名认证后才可以绑定，请先升级为三级实名。",
    "binding.mode_refused": "{system}只能绑定已开通的账号，请选择“已有用户的登录授权”。",
    "binding.agent_mode_refused": "{system}不支持为经办人直接创建新账号，请选择“已有用户的登录授权”绑定已有的子账号。",
    "binding.agent_by_legal_person": "经办人的业务系统授权由法人账号在“经办人授权”中办理。",
    "binding.agent_revoked": "已撤销经办人对{system}的授权。",
    "binding.agent_revoking": "经办人对{system}的授权正在撤销中，业务系统确认后即完成。",
    # a system that cannot be reached right now: nothing was started, the user may retry at once
    "binding.system_unavailable": "{system}暂时无法访问，请稍后再试。",
    # an agent cannot bind in 我的绑定: its enterprise authorizes systems (经办人授权)
    "binding.agent_sso_unbound": "您尚未获得{system}的授权，或授权已被撤销，请联系法人账号在“经办人授权”中为您授权。",
    # 公共服务 → 在线办理
    "services.no_such_item": "该事项不存在或暂不支持在线办理。",
    # 经办人授权
    "agents.legal_only": "仅法人账号可以进行经办人授权。",
    "agents.id_number_required": "请输入经办人完整的身份证号码。",
    "agents.no_account": "未找到该身份证号码对应的个人账号。请经办人先在“个人登录”窗口注册个人账号并完成实名认证，再添加为经办人。",
    "agents.not_realname": "该个人账号尚未通过实名认证，不能添加为经办人。请经办人先完成实名认证。",
    "agents.already_added": "{name}已经是本企业的经办人，请勿重复添加。",
    "agents.added": "已添加经办人{name}。",
    "agents.removed": "已移除经办人：其代表本企业访问业务系统的授权和登录会话均已结束。",
    "agents.not_found": "该经办人不存在或已被移除。",
    "login.not_agent": "该账号尚未被任何法人授权为经办人，请通过“个人登录”登录个人空间。",
    # the authorization request, when its client or redirect_uri cannot be trusted (RFC 9700 §4.11.2)
    "request.duplicated": "请求参数重复，无法确认来源应用。",
    "request.no_client_id": "请求缺少应用标识（client_id）。",
    "request.unknown_client": "未知的应用，无法登录。",
    "request.no_redirect_uri": "请求缺少回调地址（redirect_uri）。",
    "request.redirect_uri_mismatch": "回调地址与应用登记的不一致，已拒绝。",
    "request.request_uri_invalid": "登录请求已失效或已使用，请返回业务系统重新发起登录。",
    # the real-name level a system asks for (acr_values, default_acr_values) and the account lacks
    "authorize.acr_upgrade": "{system}要求实名等级为三级，您的账号需三级实名认证后才可以登录，请先升级为三级实名，"
                             "升级后重新进入该系统。",
    "authorize.acr_unreachable": "{system}要求的实名等级高于您账号的实名等级，您的账号无法登录该系统。"
                                 "如需帮助，请通过“咨询”联系我们。",
    "login.page_expired": "登录页面已过期，请返回业务系统重新发起登录。",
    "flow.expired": "页面已过期，请重新开始。",
    "sso.not_supported": "该业务系统暂不支持从门户单点登录。",
    # 退出 (RP-Initiated Logout 1.0 §2, §3)
    "logout.hint_invalid": "退出请求无效：登录凭证无法验证。",
    "logout.redirect_unverified": "退出后跳转地址无法确认，已拒绝跳转。",
    "logout.redirect_mismatch": "退出后跳转地址与应用登记的不一致，已拒绝跳转。",
    "devices.not_found": "该登录设备不存在或已退出。",
    # one-time codes by SMS or e-mail; {purpose} is the flow's name (用户解锁, 找回密码…)
    "code.message_subject": "政务服务门户{purpose}验证码",
    "code.message_body": "【政务服务门户】您的{purpose}验证码为{code}，{minutes}分钟内有效，请勿告诉他人。",
    # rate limits (idp.limits.rates): too many requests from one address or for one account
    "limits.too_many": "操作过于频繁，请{minutes}分钟后再试。",
    # a staff deployment (the supervision portal): accounts opened by operators, TOTP at each login
    "registration.closed": "本门户不开放注册，账号由管理员开通，请联系您单位的管理员。",
    "officials.username_invalid": "用户名须为4至32位字母、数字或下划线，以字母开头。",
    "officials.name_required": "请输入姓名。",
    "officials.unit_required": "请输入所在单位。",
    "officials.jurisdiction_invalid": "管辖区域须为省级或地市级6位行政区划代码（如 110000、330100）。",
    "officials.username_taken": "用户名 {username} 已被使用。",
    "login.totp_wrong": "动态验证码错误，请输入验证器当前显示的6位数字",
    "login.totp_replayed": "该动态验证码已使用过，请等待验证器显示新的验证码后再输入",
    "login.totp_unreadable": "动态验证码无法校验，请联系管理员重置您的动态验证码",
    # page errors, the portal's and the systems' alike
    "page.expired": "页面已失效，请刷新后重试。",
    "page.not_found": "您访问的页面不存在。",
    # the business systems: shared/messages_systems.py; the service around the provider (help
    # pages, 咨询, 我的消息, staff and operator consoles, audit): shared/messages_service.py
    **SYSTEM_MESSAGES,
    **SERVICE_MESSAGES,
    # 国家政务服务平台账号登录 (idp/flows/upstream)
    "upstream.unavailable": "国家政务服务平台暂时无法访问，请稍后再试，或使用用户名和密码登录。",
    "upstream.verification_failed": "国家政务服务平台的登录结果未通过校验，未登录任何账号。请返回登录页重新登录。",
    "upstream.cancelled": "未在国家政务服务平台完成登录。请返回登录页重新登录。",
    "upstream.not_configured": "本门户未开通国家政务服务平台账号登录。",
    "upstream.no_enterprise": "国家政务服务平台未提供您的企业信息，无法登录法人账号。个人请使用“个人登录”。",
    "upstream.no_identity": "国家政务服务平台未提供您的实名身份信息，无法登录。",
    "upstream.other_window": "该国家政务服务平台账号关联的门户账号请通过“{window}”登录。",
    "upstream.already_linked": "该门户账号已关联其他国家政务服务平台账号，或该国家政务服务平台账号已关联其他门户账号，无法关联。",
    "upstream.account_disabled": "门户中与您证件号码或统一社会信用代码相同的账号已停用，无法通过国家政务服务平台账号登录。如有疑问，请通过“咨询”联系我们。",
    "upstream.unlinked": "已解除与国家政务服务平台账号的关联。",
    "upstream.no_link": "该账号未关联国家政务服务平台账号。",
}


def text(message_id: str, **values) -> str:
    template = MESSAGES[message_id]
    return template.format(**values) if values else template
