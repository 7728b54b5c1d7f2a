"""The `opskit` command line (a front end: it calls the library, never boto3 directly)."""
