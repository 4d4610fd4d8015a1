"""Running dynaguard on AWS: the Lambda entry point (``deploy/template.yaml`` deploys it)."""
