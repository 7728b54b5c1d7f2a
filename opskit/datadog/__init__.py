"""Datadog: change events for every journaled change, monitors as code, utilization metrics.

Modules, from the outside in: ``notifier`` (the change engine's notifier) and ``outbox``;
``monitor_change`` (``monitors apply`` as a Change), ``monitors`` (plan and normalisation),
``policy`` (the ``[datadog.monitors]`` policy expanded); ``metrics_source`` (the estate's
Datadog metrics source); ``events``, ``monitor_api`` and ``client`` (the gateway over
datadog-api-client, imported only when a call is made). Importing this package is cheap.
"""
