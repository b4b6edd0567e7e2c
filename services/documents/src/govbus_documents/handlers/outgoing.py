"""Handlers of the documents service: outgoing (being written)."""
