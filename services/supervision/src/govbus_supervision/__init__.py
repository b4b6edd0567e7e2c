"""govbus supervision service (督查督办)."""
