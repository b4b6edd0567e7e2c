"""govbus disclosure service (政府信息公开)."""
