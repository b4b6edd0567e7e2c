"""The rules of 督查督办: pure, no I/O; the time and the calendar are passed in."""
