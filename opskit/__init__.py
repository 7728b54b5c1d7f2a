"""opskit: run ECS services across one AWS account per environment, safely.

Importing this package is cheap: it loads neither boto3, textual, papermill nor pandas.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
