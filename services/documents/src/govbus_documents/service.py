"""The documents service object; handler modules register on it."""

from __future__ import annotations

from govbus_contracts.services.documents.common import CONTRACT
from govbus_documents.settings import DocumentsSettings
from govbus_kit.service import Service

service = Service(CONTRACT, version="0.1.0", settings=DocumentsSettings)
