"""The business systems' messages (mock_systems, all of them): ids under ``system.``, ``udi.``,
``pharmacist.`` and ``drug.``. Part of the one catalogue: :mod:`shared.messages` merges it; an id
is defined in exactly one of its modules (tests/test_catalogue.py).
"""
from __future__ import annotations

SYSTEM_MESSAGES: dict[str, str] = {
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
    # the drug system's regulators: opened by the provincial administrator, bound from the supervision portal
    "drug.regulators.required": "请填写用户名、姓名和单位。",
    "drug.regulators.username_invalid": "用户名须为4至32位小写字母、数字或下划线，以字母开头。",
    "drug.regulators.username_taken": "用户名 {username} 已被使用。",
    "drug.regulators.jurisdiction_invalid": "查阅范围须为本省（{province}）的省级或地市级6位行政区划代码。",
    "drug.regulators.not_found": "该监管用户不存在或不属于本省。",
    "drug.regulators.opened": "监管用户已开通。",
    "drug.regulators.permission_saved": "查阅权限已保存。",
    "drug.regulation.supervision_only": "出口药品档案查阅仅供监管用户使用，请从综合监管门户登录本系统。",
    "drug.regulation.no_permission": "您没有出口药品档案信息采集模块查阅权限，请联系本省药品监督管理局管理员授权。",
    "drug.regulation.bind_existing_only": "监管用户只能绑定省局管理员已开通的账号，请选择“已有用户的登录授权”。",
    "drug.regulation.not_a_regulator_account": "该账号不是监管用户账号，请使用省局管理员为您开通的账号。",
    "drug.regulation.regulator_account": "该账号为监管用户账号，只能从综合监管门户绑定。",
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
}
