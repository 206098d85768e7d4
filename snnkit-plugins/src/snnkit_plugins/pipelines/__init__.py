"""Built-in pipelines."""
