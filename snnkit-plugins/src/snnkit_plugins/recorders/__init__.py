"""Built-in recorders."""
