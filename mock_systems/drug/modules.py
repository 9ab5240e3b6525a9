"""The drug system's 信息采集类事项 (modules) a legal person can grant an agent in 子用户授权:
their ids (stored in grants) and names, in one place."""
from __future__ import annotations

EXPORT_DOSSIER = "export_dossier"

# id → name, in the order 子用户授权 lists them.
MODULES: dict[str, str] = {
    EXPORT_DOSSIER: "出口药品档案信息采集",
}
