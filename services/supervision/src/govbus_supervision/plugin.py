"""Wiring: importing the handler modules binds them to ``service``.

Entry point ``supervision = "govbus_supervision.plugin:service"`` (group ``govbus.services``).
"""

from __future__ import annotations

from govbus_supervision.handlers import (  # noqa: F401
    cases,
    items,
    ledger,
    notices,
    sweep,
    targets,
)
from govbus_supervision.service import service

__all__ = ["service"]
