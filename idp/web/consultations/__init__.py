"""咨询 pages for users (pages.py): the question form at the guide's ``/problem?ssywxt=…``, its
confirmation, and the lookup of answers without login; rows.py, how a question is shown there
and in 我的互动 → 在线办事反馈 (idp/web/space/feedback.py).

Layer: web. The questions themselves live in idp.consultations.
"""
PROBLEM = "/problem"  # the guide's address: /web/problem?ssywxt=ZWFW
PROBLEM_DONE = PROBLEM + "/done"
PROBLEM_QUERY = PROBLEM + "/query"  # 在线办事反馈查询界面
