"""A caseload at once: blank templates, batch planning and the caseload summary.

(One assessment per CSV row is read by ``planner.intake.csvinput``, docs/assessment-csv.md.)
``planner.caseload.template``: blank assessments to fill in; ``planner.caseload.batch``:
``seqplan batch``; ``planner.caseload.summary``: ``caseload.json`` and ``caseload.html``.
"""
