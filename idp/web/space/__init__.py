"""The pages of the signed-in space (个人空间 / 法人空间), together: its home and 账号设置
(settings.py), 登录设备 (devices.py), 我的消息 (messages.py), 我的互动 → 在线办事反馈
(feedback.py: the account's 咨询 and their answers), 我的绑定 (bindings.py, with
binding_rows.py, what the binding pages show) and 经办人授权 (agents.py). Each page takes the
session, the checked form and the legal person from the page kit (idp.web.kit).

Layer: web. The state they change lives below: idp.space, idp.bindings, idp.agents, idp.inbox.
"""
SPACE = "/space"  # every page of the space lives under it
SETTINGS = SPACE + "/settings"  # 账号设置
MESSAGES = SPACE + "/messages"  # 我的消息
FEEDBACK = SPACE + "/feedback"  # 我的互动 → 在线办事反馈
AGENTS = SPACE + "/agents"  # 经办人授权 (我的绑定 is shared.binding.PORTAL_BINDINGS_PAGE: the systems link to it)
# The space's menu (docs/behaviours.md, Account settings). 我的绑定, 我的互动, 我的消息 and 账号设置 work;
# the others are to come.
MENU = ("我的办件", "我的绑定", "我的证照", "我的评价", "我的互动", "我的关注", "我的预约", "我的收藏", "我的消息")
