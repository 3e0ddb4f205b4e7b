"""The causal paradigm: the campaign's randomised design, uplift learners and their measurement (issue 23)."""
