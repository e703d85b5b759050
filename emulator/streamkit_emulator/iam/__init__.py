"""IAM enforced: principals, policy evaluation, denials (see evaluator.py)."""
