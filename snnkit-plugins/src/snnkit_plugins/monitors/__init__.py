"""Built-in monitors."""
