"""seqplan as a CDS Hooks 2.0 service: discovery, the patient-view hook, and feedback that
becomes the clinician's decisions in the case record."""
