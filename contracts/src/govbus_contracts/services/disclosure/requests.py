"""Contracts of the disclosure service: requests (依申请公开). Filled by its slice."""
