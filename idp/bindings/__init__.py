"""授权绑定 on the portal side: the bindings table, its transitions, 我的绑定 and the systems' API."""
