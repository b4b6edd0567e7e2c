"""Contracts of the documents service: incoming (being written)."""
