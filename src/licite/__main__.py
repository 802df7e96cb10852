"""`python -m licite …` is `licite …`."""

from licite.commands.root import main

main()
