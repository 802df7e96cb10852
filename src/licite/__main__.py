"""`python -m licite …` is `licite …`."""

from licite.commands import main

main()
