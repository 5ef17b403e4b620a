"""`python -m workbench ...` runs the command line (the Runs page starts runs this way)."""

from workbench.cli import main

main()
