"""``python -m dynaguard``: the command line."""

from dynaguard.cli import main

main()
