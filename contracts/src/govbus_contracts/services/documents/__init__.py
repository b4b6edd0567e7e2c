"""Contracts of the documents service (公文处理)."""

from govbus_contracts.registry import register
from govbus_contracts.services.documents import archive, incoming, outgoing  # noqa: F401
from govbus_contracts.services.documents.common import CONTRACT

register(CONTRACT)

__all__ = ["CONTRACT"]
