"""The public service catalogue (公共服务): 事项 by theme, each naming its business system.

Read once at start-up from a YAML file (Settings.services_path, beside the systems' catalogue);
a malformed file stops the start with the reason (as the help pages' data files do), so a broken
entry never reaches a user.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from shared.yaml_files import read_yaml

ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class ServiceCatalogueError(ValueError):
    """The services file is malformed: the message says where."""


@dataclass(frozen=True)
class Service:
    id: str
    name: str  # the 事项's name, as the guides give it (医疗器械产品标识申报)
    theme: str  # one of the catalogue's themes (药品, 医疗器械, 化妆品)
    system: str  # client_id of the business system that handles it
    summary: str = ""


@dataclass(frozen=True)
class ServiceCatalogue:
    themes: tuple[str, ...]
    services: tuple[Service, ...]

    def in_theme(self, theme: str) -> list[Service]:
        """The 事项 of one theme; every 事项 for an empty or unknown theme."""
        return [s for s in self.services if s.theme == theme] if theme in self.themes else list(self.services)

    def find(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)


def _service(entry: object, themes: tuple[str, ...], n: int) -> Service:
    if not isinstance(entry, dict):
        raise ServiceCatalogueError(f"services[{n}] is not a mapping")
    fields: dict[str, str] = {}
    for key in ("id", "name", "theme", "system"):
        value = entry.get(key)
        if not isinstance(value, str) or not value:
            raise ServiceCatalogueError(f"services[{n}] needs a {key}")
        fields[key] = value
    if not ID.match(fields["id"]):
        raise ServiceCatalogueError(f"services[{n}]: id {fields['id']!r} is not a short lowercase slug")
    if fields["theme"] not in themes:
        raise ServiceCatalogueError(f"services[{n}]: theme {fields['theme']!r} is none of {list(themes)}")
    summary = entry.get("summary")
    return Service(**fields, summary=summary if isinstance(summary, str) else "")


def load_services(path: Path) -> ServiceCatalogue:
    data = read_yaml(path) or {}
    themes = data.get("themes")
    if not isinstance(themes, list) or not themes or not all(isinstance(t, str) and t for t in themes):
        raise ServiceCatalogueError(f"{path}: themes must be a list of names")
    services = tuple(_service(entry, tuple(themes), n) for n, entry in enumerate(data.get("services") or []))
    ids = [s.id for s in services]
    if len(set(ids)) != len(ids):
        raise ServiceCatalogueError(f"{path}: an id repeats")
    return ServiceCatalogue(themes=tuple(themes), services=services)
