"""The ``snnkit`` command line."""
