"""Platform backup and restore: `academy backup` and `academy restore` (see archive.py)."""
