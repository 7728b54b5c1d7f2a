"""A Datadog-compatible HTTP endpoint: events, monitors, metric queries."""
