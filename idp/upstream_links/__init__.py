"""Links between portal accounts and identities at the upstream identity provider (国家政务服务平台
账号登录): the table and its transitions (link, unlink), each settled by the database.

Layer: domain.
"""
