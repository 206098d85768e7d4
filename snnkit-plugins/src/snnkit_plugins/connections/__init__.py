"""Built-in connections."""
