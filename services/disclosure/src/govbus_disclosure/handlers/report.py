"""Handlers of the annual report (年度报告). Filled by its slice."""
