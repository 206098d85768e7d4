"""Built-in neurons."""
