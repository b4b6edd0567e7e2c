"""Contracts of the office's services. Each module registers its ``ServiceContract``."""

# Service contract modules are imported here as they are added (documents, disclosure, ...).
