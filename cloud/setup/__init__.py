"""Property set-up: a whole property as one document, exported, planned and applied."""
