"""Contracts of the documents service: archive (being written)."""
