"""The built-in snnkit components, each module a plugin found through the ``snnkit`` entry points."""
