"""Trainer mode: what-if comparisons, the reasoning step by step, and teaching vignettes.

Everything here works on made plans (``planner.plans.plan.Plan``) and their traces; wording
lives in templates/ and in the vignettes' teaching notes, not in this package.
"""
