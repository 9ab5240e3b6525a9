"""The service around the provider: help pages, 咨询, 我的消息, the staff console (staff accounts,
咨询受理, 绑定管理), the audit log and the operator console. Part of the one catalogue:
:mod:`shared.messages` merges it; an id is defined in exactly one of its modules
(tests/test_catalogue.py).
"""
from __future__ import annotations

SERVICE_MESSAGES: dict[str, str] = {
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
    "ops.account_not_disabled": "该账号未被停用。",
    "ops.account_deactivated_duplicate": "该账号已作为重复账号注销，不能重新启用。",
    "ops.account_closed": "该账号已由用户申请注销，不能重新启用。",
    "ops.account_enabled": "已启用账号 {username}。",
    "ops.search_words": "请输入用户名、手机号码或证件号码（不超过64个字）。",
    "ops.csrf": "请求缺少有效的 X-CSRF-Token，请刷新后重试。",
}
