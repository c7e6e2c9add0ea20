"""One module per command; each returns the process exit code. cli.py only forwards here."""
