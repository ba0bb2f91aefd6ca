"""A caseload at once: CSV input, blank templates, batch planning and the caseload summary.

``planner.caseload.csvinput``: one assessment per CSV row (docs/assessment-csv.md);
``planner.caseload.template``: blank assessments to fill in; ``planner.caseload.batch``:
``seqplan batch``; ``planner.caseload.summary``: ``caseload.json`` and ``caseload.html``.
"""
