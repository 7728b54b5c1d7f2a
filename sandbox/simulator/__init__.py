"""What keeps the estate alive: task lifecycles, rollouts, drains, crash loops, metrics."""
