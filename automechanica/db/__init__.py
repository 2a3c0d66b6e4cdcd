"""Database access: connection pools, the embedded server, migrations."""
