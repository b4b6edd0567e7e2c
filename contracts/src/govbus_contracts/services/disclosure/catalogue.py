"""Contracts of the disclosure service: the catalogue (主动公开, 公开目录). Filled by its slice."""
