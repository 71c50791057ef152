"""``python -m syncd`` is the ``syncd`` command."""

from syncd.cli.app import main

main()
