"""Held-out evaluation: classification metrics and intervals, the classifier and segment assessments."""
