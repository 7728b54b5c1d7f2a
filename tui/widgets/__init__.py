"""Reusable widgets: each receives data as attributes and posts messages, never fetches."""
