"""Handlers of the catalogue (主动公开). Filled by its slice."""
