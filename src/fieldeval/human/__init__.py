"""Grading by people: blind sessions, one grader at a time, grades saved as they are given.

Agreement between graders is in `fieldeval.stats.agreement`.
"""
