"""Built-in plots."""
