"""What the drug system's 信息采集 pages say (Chinese); the common messages stay in
mock_systems/common/messages.py."""
from __future__ import annotations

from mock_systems.common.messages import text as common_text

MESSAGES: dict[str, str] = {
    # Who may use 信息采集
    "collection.enterprise_only": "信息采集仅供企业账号使用，请通过政务服务门户“法人登录”（法人账号或经办人账号）进入本系统。",
    "module.not_granted": "您没有{module}的操作权限，请联系法人账号在“子用户授权”中授权。",
    # 子用户授权
    "grants.legal_only": "只有法人账号可以进行子用户授权，经办人账号不能为其他账号授权。",
    "grants.no_such_agent": "所选经办人不存在或不属于本企业，请重新选择。",
    "grants.unknown_module": "所选事项不存在，请重新选择。",
    "grants.saved": "保存成功，授权已生效。",
    # 出口药品档案信息
    "dossier.not_found": "出口药品档案不存在或已删除。",
    "dossier.stale": "该档案已被他人修改，请刷新后重试。",
    "dossier.edit_not_draft": "该档案已提交，不能修改；如需更改，请使用“变更”。",
    "dossier.delete_not_draft": "该档案已提交，提交后无法删除。",
    "dossier.submit_not_draft": "该档案已提交，不能重复提交。",
    "dossier.change_not_submitted": "只有已提交的档案可以变更；草稿请直接修改后提交。",
    "dossier.change_unchanged": "变更内容与当前版本相同，请修改后再提交变更。",
    "dossier.required": "请填写{label}。",
    "dossier.too_long": "{label}不能超过{limit}个字。",
    "dossier.created": "草稿已保存。",
    "dossier.edited": "修改已保存。",
    "dossier.submitted": "提交成功。",
    "dossier.deleted": "草稿已删除。",
    "dossier.changed": "变更成功，已生成新版本。",
}


def text(message_id: str, **values) -> str:
    template = MESSAGES.get(message_id)
    if template is None:
        return common_text(message_id, **values)
    return template.format(**values) if values else template
