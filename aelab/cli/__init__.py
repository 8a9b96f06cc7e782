"""The command line, ``python -m aelab`` or ``aelab``: one module per group of commands (main parses and dispatches)."""
