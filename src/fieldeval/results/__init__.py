"""A run's results: the summary per candidate, candidates paired, run against run, the gate.

Rubric results (people's and the judge's verdicts) and repeat stability are here too.
"""
