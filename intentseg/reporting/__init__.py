"""Outputs for people: the marketing report, PNG figures and the pull-request review comment."""
