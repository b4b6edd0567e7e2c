"""The plugin loader: services are entry points in group ``govbus.services``."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from govbus_kit.service import Service

GROUP = "govbus.services"


def installed() -> dict[str, str]:
    """Name → ``module:attribute`` of every installed service plugin."""
    return {ep.name: ep.value for ep in entry_points(group=GROUP)}


def load(name_or_path: str) -> Service:
    """Load a service by its entry-point name, or by ``module:attribute``."""
    if ":" in name_or_path:
        module, _, attr = name_or_path.partition(":")
        obj = getattr(importlib.import_module(module), attr)
    else:
        matches = [ep for ep in entry_points(group=GROUP) if ep.name == name_or_path]
        if not matches:
            known = ", ".join(sorted(installed())) or "none"
            raise LookupError(
                f"no service plugin {name_or_path!r} is installed (installed: {known})")
        obj = matches[0].load()
    service = obj() if callable(obj) and not isinstance(obj, Service) else obj
    if not isinstance(service, Service):
        raise TypeError(f"{name_or_path} is not a govbus Service")
    return service


def load_all(names: list[str] | None = None) -> list[Service]:
    return [load(n) for n in (names or sorted(installed()))]
