"""Wiring: importing the handler modules binds them to ``service``.

Entry point ``documents = "govbus_documents.plugin:service"`` (group ``govbus.services``).
"""

from __future__ import annotations

from govbus_documents.handlers import archive, incoming, outgoing, search  # noqa: F401
from govbus_documents.service import service

__all__ = ["service"]
