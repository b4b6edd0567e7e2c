"""Contracts of the supervision service (督查督办)."""

from govbus_contracts.registry import register
from govbus_contracts.services.supervision import items, ledger  # noqa: F401
from govbus_contracts.services.supervision.common import CONTRACT

register(CONTRACT)

__all__ = ["CONTRACT"]
