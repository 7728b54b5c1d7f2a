"""The demo estate: ECS, load balancers, DNS, logs and metrics, seeded at start."""
