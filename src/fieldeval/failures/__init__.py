"""Failure modes: labels, rates by severity, systematic or random, notes coded into modes.

Labels come from checks, rubric criteria and people; coding turns people's notes into
the failure modes a person then edits.
"""
