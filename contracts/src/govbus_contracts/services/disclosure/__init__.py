"""Contracts of the disclosure service (政府信息公开)."""

from govbus_contracts.registry import register
from govbus_contracts.services.disclosure import catalogue, report, requests  # noqa: F401
from govbus_contracts.services.disclosure.common import CONTRACT

register(CONTRACT)

__all__ = ["CONTRACT"]
