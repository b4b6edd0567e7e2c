"""Contracts of the disclosure service: the annual report (年度报告). Filled by its slice."""
