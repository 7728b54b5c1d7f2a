"""Thin typed gateways over boto3 clients. They receive clients from ``opskit.accounts``."""
