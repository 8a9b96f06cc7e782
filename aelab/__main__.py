"""``python -m aelab``: see aelab.cli."""

from aelab.cli import main

raise SystemExit(main())
