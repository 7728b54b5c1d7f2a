"""The dashboard's screens: overview, environment, cluster, service, hosts, feed, logs, and
the modals (help, task, plan, ask)."""
