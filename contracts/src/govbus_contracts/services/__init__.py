"""Contracts of the office's services. Each module registers its ``ServiceContract``."""

from govbus_contracts.services import disclosure, documents  # noqa: F401
