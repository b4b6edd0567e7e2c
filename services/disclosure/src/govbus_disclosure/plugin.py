"""Wiring: importing the handler modules binds them to ``service``.

Entry point ``disclosure = "govbus_disclosure.plugin:service"`` (group ``govbus.services``).
"""

from __future__ import annotations

from govbus_disclosure.handlers import catalogue, report, requests  # noqa: F401
from govbus_disclosure.service import service

__all__ = ["service"]
