"""`licite.cli:main`, the command's historical entry point, kept for whatever names it
(`python -m licite.cli`, scripts and harnesses written against it). The commands live in
`licite.commands`; nothing in licite imports this module."""

from __future__ import annotations

from licite.commands.root import cli, main

__all__ = ["cli", "main"]

if __name__ == "__main__":
    main()
