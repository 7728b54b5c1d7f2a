"""The embedded sandbox: a fake AWS (and Datadog) estate on loopback.

A background process (``python -m sandbox.server``) runs a pinned moto server behind
our "AWS's rules" layer, seeded with an Organization, per-environment roles and the users
alice and bob, then with IAM enforcement switched on. Front ends reach it through
``sandbox.process`` (``ensure_running``, ``stop``, ``status``, ``reset``); the state
file it writes (``sandbox.state``) tells clients its endpoint and credentials.

No library module imports this package (design: the sandbox builds the fake AWS, it is not
a way to use AWS). Importing it is cheap: moto and boto3 load only inside the server.
"""
