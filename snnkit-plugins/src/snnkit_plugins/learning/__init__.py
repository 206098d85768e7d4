"""Built-in learning rules."""
