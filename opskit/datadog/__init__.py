"""Datadog's side of opskit: the API gateway and the Datadog-only logic, no opskit service.

``client`` (the gateway over datadog-api-client, imported only when a call is made),
``events`` and ``monitor_api`` (its calls), ``outbox`` (events kept until Datadog answers),
``monitors`` (plan and normalisation) and ``policy`` (the ``[datadog.monitors]`` policy
expanded). The services build on it: the monitors change and the change notifier live in
``opskit.changes``, the metrics source in ``opskit.estate``; the composition root
(``opskit.workspace``) registers the notifier and the source. Importing this is cheap.
"""
