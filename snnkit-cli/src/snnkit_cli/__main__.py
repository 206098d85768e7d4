"""``python -m snnkit_cli`` runs the ``snnkit`` command."""

from snnkit_cli.entry import main

main()
