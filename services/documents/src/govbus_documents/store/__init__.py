"""What the documents service keeps besides its aggregates, below the handlers: the handlers
ask these stores, never the database."""
