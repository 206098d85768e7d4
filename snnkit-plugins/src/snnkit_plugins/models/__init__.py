"""Built-in models: ready-made networks."""
