"""`python -m duckseg` is the `duckseg` command."""

from duckseg.cli import main

main()
