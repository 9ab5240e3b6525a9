"""Every user-visible message, by id, in one catalogue (the guides' wording where they have one).

What belongs here: each text that code raises or returns to a user — a refusal (shared.refusals),
a form error, a notice after a change, an error page, an SMS or e-mail — for the portal and for
the business systems alike (they import ``shared``, never ``idp``). Static page copy (headings,
labels, buttons) stays in the templates; field labels passed as ``{label}`` stay with the form.
Ids are namespaced by area: the portal's by feature (``login.``, ``binding.``, ``agents.``…),
``page.`` for both sides' page errors, and the business systems' under ``system.`` (all of them),
``drug.``, ``udi.`` and ``pharmacist.``. One id, one text: an id two places need is defined once.

Code refers to messages by id; pages render ``text(id, **values)``.
"""
from __future__ import annotations

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
    # page errors, the portal's and the systems' alike
    "page.expired": "页面已失效，请刷新后重试。",
    "page.not_found": "您访问的页面不存在。",
    # --- the business systems (mock_systems), all of them ---
    "system.local.wrong_credentials": "用户名或密码错误",
    "system.local.required": "请输入用户名和密码",
    "system.not_linked": "您的政务服务门户账号尚未授权绑定本系统，请在政务服务门户“我的绑定”中授权绑定。",
    "system.login.expired": "登录请求已失效，请重新登录。",
    "system.login.wrong_issuer": "登录请求不是来自本系统信任的政务服务门户，已拒绝。",
    "system.login.denied": "您未完成政务服务门户的登录或授权，请重新登录。",
    "system.login.failed": "通过政务服务门户登录失败：门户返回的登录凭证未通过校验，请重新登录。",
    "system.login.portal_unavailable": "暂时无法连接政务服务门户，请稍后再试。",
    # 授权绑定 on the system (binding.no_such_user, binding.wrong_password and
    # binding.already_bound above word for word)
    "system.binding.invalid": "授权绑定请求无效或已失效，请回到政务服务门户“我的绑定”重新授权绑定。",
    "system.binding.cancelled": "该授权绑定请求已取消或已结束，请回到政务服务门户“我的绑定”重新授权绑定。",
    "system.binding.account_taken": "用户绑定授权异常：该账号已经绑定了其他政务服务门户用户，"
                                    "请使用其他账号，或选择“直接授权创建新的账号”。",
    "system.binding.portal_login_required": "请先在本浏览器登录政务服务门户，再从政务服务门户“我的绑定”授权绑定本系统。",
    "system.binding.not_subject": "该授权绑定请求不属于当前登录政务服务门户的用户，已拒绝。"
                                  "请使用本人的政务服务门户账号，从“我的绑定”授权绑定。",
    "system.binding.agent_may_not_create": "经办人不能通过“直接授权创建新的账号”绑定本系统，"
                                           "请使用“已有用户的登录授权”绑定本系统已有的子账号。",
    # 账号设置 on the system
    "system.settings.not_unbindable": "该绑定为直接授权创建的账号，不可解除。如需解除，请在政务服务门户的咨询栏目申请。",
    "system.settings.not_linked": "本系统账号未绑定政务服务门户账号。",
    "system.settings.login_required": "请先登录。",
    # UDI: 机构信息完善 and its review
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
    "udi.portal_notice_title": "注册用户信息审核结果：{result}",
    "udi.notice_approved": "{organisation}：您在医疗器械唯一标识管理信息系统提交的注册用户信息已审核通过。"
                           "请登录政务服务门户，在“我的绑定”中点击“医疗器械唯一标识管理信息系统”进入系统。",
    "udi.notice_rejected": "{organisation}：您在医疗器械唯一标识管理信息系统提交的注册用户信息审核不通过，"
                           "原因：{reason}。请登录政务服务门户，进入本系统修改机构信息后重新提交。",
    # 全国执业药师注册管理信息系统: who may bind and use it (seed 004), the register, 执业药师注册申请
    "pharmacist.personal_only": "执业药师注册需要从政务服务门户“个人登录”后办理：本系统仅支持个人账号以本人身份绑定和登录，"
                                "法人账号和经办人不能绑定。",
    "pharmacist.level_required": "执业药师注册需要在政务服务门户进行实名认证（三级认证）后才可绑定本系统："
                                 "您的账号实名等级不是三级，请先在政务服务门户升级为三级实名。",
    "pharmacist.no_record": "政务服务平台身份证信息需要与执业药师注册系统一致才可以绑定：本系统中没有与您的姓名和"
                            "身份证号码一致的执业药师资格信息。",
    "pharmacist.has_account": "您在本系统已有账号，请在政务服务门户“我的绑定”中选择“已有用户的登录授权”，使用原账号绑定。",
    "pharmacist.no_account": "您在本系统没有账号，请在政务服务门户“我的绑定”中选择“直接授权创建新的账号”绑定。",
    "pharmacist.id_mismatch": "该账号的身份证号码与政务服务门户实名认证的身份证号码不一致，不能绑定。",
    "pharmacist.no_qualification": "未找到您的执业药师资格信息。",
    "pharmacist.field_required": "请填写{field}。",
    "pharmacist.field_too_long": "{field}不能超过{maximum}个字。",
    "pharmacist.field_choice": "请选择{field}。",
    "pharmacist.application_pending": "您的注册申请正在审核中，审核完成前不能修改。",
    "pharmacist.application_registered": "您已注册，不能重复提交首次注册申请。",
    "pharmacist.application_stale": "该申请已被审核或已重新提交，请刷新后查看。",
    "pharmacist.application_submitted": "注册申请已提交，请等待审核。",
    "pharmacist.reason_required": "退回时必须填写退回原因。",
    "pharmacist.reason_too_long": "退回原因不能超过500个字。",
    "pharmacist.application_approved": "已审核通过，状态为已注册。",
    "pharmacist.application_returned": "已退回申请。",
    "pharmacist.upgrade_not_fifteen": "该记录的身份证号码已是18位，无需升级。",
    "pharmacist.upgrade_birth_date": "升级后的身份证号码与原15位号码的出生日期不一致，请核实后重新输入。",
    "pharmacist.upgrade_exists": "证件号码已存在：注册系统中已有该身份证号码的执业药师资格信息。",
    "pharmacist.upgrade_stale": "该记录已被升级或修改，请刷新后查看。",
    "pharmacist.upgrade_done": "身份证号码已升级为18位：{id_number}。",
    # 药品业务应用系统: who may use 信息采集
    "drug.collection.enterprise_only": "信息采集仅供企业账号使用，请通过政务服务门户“法人登录”（法人账号或经办人账号）进入本系统。",
    # 补充企业信息 (seed 002 section 2.2 (6)) and the steps into the system from the portal (2.2 (3), (4))
    "drug.enterprise.bad_phone": "联系电话格式不正确，请填写数字（可含“-”）。",
    "drug.enterprise.supplied": "企业信息已补充，现在可以办理信息采集类业务。",
    "drug.enterprise.already_supplied": "本企业的企业信息已由其他账号补充。",
    "drug.module.not_granted": "您没有{module}的操作权限，请联系法人账号在“子用户授权”中授权。",
    # 子用户授权
    "drug.grants.legal_only": "只有法人账号可以进行子用户授权，经办人账号不能为其他账号授权。",
    "drug.grants.no_such_agent": "所选经办人不存在或不属于本企业，请重新选择。",
    "drug.grants.unknown_module": "所选事项不存在，请重新选择。",
    "drug.grants.saved": "保存成功，授权已生效。",
    # 出口药品档案信息
    "drug.dossier.not_found": "出口药品档案不存在或已删除。",
    "drug.dossier.stale": "该档案已被他人修改，请刷新后重试。",
    "drug.dossier.edit_not_draft": "该档案已提交，不能修改；如需更改，请使用“变更”。",
    "drug.dossier.delete_not_draft": "该档案已提交，提交后无法删除。",
    "drug.dossier.submit_not_draft": "该档案已提交，不能重复提交。",
    "drug.dossier.change_not_submitted": "只有已提交的档案可以变更；草稿请直接修改后提交。",
    "drug.dossier.change_unchanged": "变更内容与当前版本相同，请修改后再提交变更。",
    "drug.dossier.required": "请填写{label}。",
    "drug.dossier.too_long": "{label}不能超过{limit}个字。",
    "drug.dossier.created": "草稿已保存。",
    "drug.dossier.edited": "修改已保存。",
    "drug.dossier.submitted": "提交成功。",
    "drug.dossier.deleted": "草稿已删除。",
    "drug.dossier.changed": "变更成功，已生成新版本。",
    # help pages (常见问题, 新手指导)
    "help.query_too_long": "搜索内容不能超过{max}个字符，请精简关键词后再试",

    # 咨询: the form, the anonymous lookup, 我的互动
    "consultation.required": "请输入{label}",
    "consultation.choose": "请选择{label}",
    "consultation.too_long": "{label}不能超过{max}个字符",
    "consultation.unprintable": "{label}含有不能使用的字符",
    "consultation.invalid": "咨询内容不完整，请按提示填写后重新提交。",
    "consultation.form_errors": "提交失败，请按提示修改后重新提交。",
    "consultation.busy": "系统繁忙，请稍后重新提交。",
    "consultation.too_many": "提交过于频繁，请{minutes}分钟后再试。",
    "consultation.lookups_too_many": "查询过于频繁，请{minutes}分钟后再试。",
    "consultation.not_found": "该咨询不存在。",
    "consultation.not_open": "该咨询已被回复或关闭，请刷新后查看。",
    "consultation.answer_required": "请输入回复内容",
    "consultation.answer_too_long": "回复内容不能超过{max}个字符",
    "consultation.assignee_required": "请选择转派给哪位咨询受理人员",
    "consultation.assignee_unknown": "转派对象不是在岗的咨询受理人员，请重新选择。",
    "consultation.answered_title": "咨询已回复",
    "consultation.answered_note": "您的咨询（受理编号：{reference}）“{title}”已回复：{answer}",
    "consultation.answer_sms": "【政务服务门户】您的咨询（受理编号：{reference}）已回复，请登录后在“我的互动—在线办事反馈”"
                               "中查看，未登录时提交的问题请到在线办事反馈查询界面查询。",
    "consultation.answer_mail_subject": "政务服务门户咨询回复（受理编号：{reference}）",
    "consultation.answer_mail_body": "{name}，您好：\n\n您在政务服务门户提交的咨询（受理编号：{reference}）“{title}”"
                                     "已回复：\n\n{answer}\n\n【政务服务门户】",

    # 我的消息 (notes the portal posts to an account)
    "inbox.force_unbound.title": "业务系统绑定已解除",
    "inbox.force_unbound.body": "工作人员已于{at}（北京时间）解除了您的账号与{system}的绑定，原因：{reason}。"
                                "如需再次使用该系统，请在“我的绑定”中重新授权绑定。",
    "inbox.force_unbound_agent.body": "工作人员已于{at}（北京时间）解除了经办人{agent}代表{enterprise}与{system}的绑定，"
                                      "原因：{reason}。",
    "inbox.agent_added.title": "经办人授权提醒",
    "inbox.agent_added.body": "{enterprise}已于{at}（北京时间）将您添加为经办人。您可在“法人登录”中使用本人的用户名和密码，"
                              "代表该企业办理业务。",
    "inbox.agent_removed.title": "经办人移除提醒",
    "inbox.agent_removed.body": "{enterprise}已于{at}（北京时间）将您移除出经办人，您不能再代表该企业办理业务，"
                                "代表该企业的业务系统绑定已一并解除。",
    "inbox.agent_authorized.title": "经办人业务系统授权提醒",
    "inbox.agent_authorized.body": "{enterprise}已于{at}（北京时间）授权您代表该企业使用{system}。"
                                   "请通过“法人登录”进入该系统。",
    "inbox.agent_revoked.title": "经办人业务系统授权撤销提醒",
    "inbox.agent_revoked.body": "{enterprise}已于{at}（北京时间）撤销了您代表该企业使用{system}的授权。",
    "inbox.new_login_place.title": "新地点登录提醒",
    "inbox.new_login_place.body": "您的账号{username}于{at}（北京时间）在新的地点或设备登录：IP地址{address}，设备{device}。"
                                  "如非本人操作，请立即修改密码，并在“账号设置”的“登录设备”中退出该设备。",
    "inbox.system_notice.title": "【{system}】{title}",
    "inbox.unknown_address": "未知",

    # the staff console: staff accounts, sign-in, TOTP, roles
    "staff.locked": "账号已被锁定，请{minutes}分钟后再试，或联系管理员解锁。",
    "staff.totp_wrong": "动态验证码错误，请输入验证器当前显示的6位数字",
    "staff.totp_replayed": "该动态验证码已使用过，请等待验证器显示新的验证码后再输入",
    "staff.totp_unreadable": "动态验证码无法校验，请联系管理员重置您的动态验证码",
    "staff.missing_role": "您没有访问该页面的权限，需要“{role}”角色。",
    "staff.username_format": "用户名应为3至32位小写字母、数字或“_.-”，并以字母或数字开头",
    "staff.username_taken": "该用户名已被使用",
    "staff.name_required": "请输入姓名（不超过100个字）",
    "staff.role_required": "请至少选择一个角色",
    "staff.role_unknown": "所选角色不存在",
    "staff.not_found": "该工作人员不存在",
    "staff.self_disable": "不能停用自己的账号",
    "staff.self_admin": "不能取消自己的管理员角色",
    "staff.already_disabled": "该工作人员已停用",
    "staff.not_disabled": "该工作人员未停用",
    "staff.created": "已创建工作人员 {username}，首次登录时绑定动态验证码。",
    "staff.disabled": "已停用工作人员 {username}。",
    "staff.enabled": "已启用工作人员 {username}。",
    "staff.roles_changed": "已更新工作人员 {username} 的角色。",
    "staff.totp_reset": "已重置工作人员 {username} 的动态验证码，下次登录时重新绑定。",

    # the staff console: 咨询受理 (help desk)
    "consultation.staff_answered": "已回复咨询{reference}。",
    "consultation.staff_closed": "已关闭咨询{reference}。",
    "consultation.staff_reassigned": "已转派咨询{reference}。",

    # the staff console: 绑定管理 (binding administration)
    "bindings_admin.reason_required": "请填写解除绑定的原因。",
    "bindings_admin.reason_too_long": "原因不能超过{max}个字符。",
    "bindings_admin.binding_not_live": "该绑定已解除或正在解除（可能已由其他工作人员处理），请刷新后查看。",
    "bindings_admin.unbound": "已解除绑定，业务系统已确认；用户可在“我的消息”中看到通知。",
    "bindings_admin.unbinding": "已提交解除绑定，业务系统确认后生效；用户可在“我的消息”中看到通知。",
    "bindings_admin.answered": "已回复该申请。",
    "bindings_admin.closed": "已关闭该申请。",
    "bindings_admin.default_reason": "根据解除绑定申请{reference}（{system}）",
    "bindings_admin.account_not_found": "账号不存在。",
    "bindings_admin.not_level_two": "该账号不是“二级”实名的个人账号，不能作为重复账号注销。",
    "bindings_admin.no_duplicate": "没有其他实名账号持有该账号的证件号码，不能作为重复账号注销。",
    "bindings_admin.already_deactivated": "该账号已注销。",
    "bindings_admin.deactivated": "已注销重复账号，其登录已全部退出。",
    "bindings_admin.request_not_found": "该申请不存在。",
    "bindings_admin.not_unbind_request": "该咨询不是解除绑定申请。",

    # the audit log (auditors' search and export)
    "audit.filter_invalid": "“{label}”的内容过长或含有不可见字符，请修改后重新查询",
    "audit.time_invalid": "“{label}”的格式不正确，请按“2026-12-01 08:00”（北京时间）填写",
    "audit.range_empty": "开始时间应早于结束时间",
    "audit.page_token_invalid": "翻页链接无效或已被修改，请重新查询",

    # the operator console (运维): clients, signing keys, sessions, accounts
    "ops.client_not_found": "该客户端不存在。",
    "ops.client_exists": "该客户端标识已被使用。",
    "ops.client_id_format": "客户端标识应为2至64位小写字母、数字或“_-”，并以字母或数字开头。",
    "ops.client_name_required": "请输入客户端名称（不超过200个字）。",
    "ops.client_invalid": "客户端配置不正确：{reason}",
    "ops.client_already_disabled": "该客户端已停用。",
    "ops.client_not_disabled": "该客户端未停用。",
    "ops.client_public": "该客户端为公开客户端，没有密钥。",
    "ops.client_registered": "已登记客户端 {client_id}。",
    "ops.client_updated": "已更新客户端 {client_id} 的回调地址和权限范围。",
    "ops.client_disabled": "已停用客户端 {client_id}，其授权、令牌和刷新均已失效。",
    "ops.client_enabled": "已启用客户端 {client_id}。",
    "ops.client_already_deleted": "该客户端已删除。",
    "ops.client_deleted_final": "该客户端已删除，不能再启用或修改。",
    "ops.client_delete_enabled": "请先停用该客户端，再删除。",
    "ops.client_delete_bound": "该客户端仍有用户绑定（含待确认的绑定），不能删除；请待其全部解除绑定后再删除。",
    "ops.client_deleted": "已删除客户端 {client_id}，其授权码、令牌、授权记录和待完成的登录请求均已清除。",
    "ops.secret_rotated": "已为客户端 {client_id} 生成新密钥，仅显示这一次，请立即妥善保存：",
    "ops.keys_rotated": "已生成新的签名密钥，{seconds}秒后开始签名。",
    "ops.user_not_found": "该用户名不存在。",
    "ops.session_not_live": "该会话已结束或不存在。",
    "ops.session_ended": "已结束该会话，并通知了相关业务系统退出。",
    "ops.account_not_found": "账号不存在。",
    "ops.account_not_locked": "该账号未被锁定。",
    "ops.account_already_disabled": "该账号已停用。",
    "ops.account_unlocked": "已解锁账号 {username}。",
    "ops.account_disabled": "已停用账号 {username}，其登录已全部退出。",
    "ops.search_words": "请输入用户名、手机号码或证件号码（不超过64个字）。",
    "ops.csrf": "请求缺少有效的 X-CSRF-Token，请刷新后重试。",

}


def text(message_id: str, **values) -> str:
    template = MESSAGES[message_id]
    return template.format(**values) if values else template
