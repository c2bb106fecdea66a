"""``python -m stagecraft`` runs the ``stagecraft`` command."""

from stagecraft.cli import run

run()
