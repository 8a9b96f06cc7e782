"""``python -m aelab``: see aelab.cli.main."""

from aelab.cli.main import main

raise SystemExit(main())
