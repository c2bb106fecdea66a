"""``python -m stagecraft`` runs the ``stagecraft`` command."""

from stagecraft.cli import main

raise SystemExit(main())
