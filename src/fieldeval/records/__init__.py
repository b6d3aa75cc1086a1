"""Plain records every layer trades, and that import nothing of fieldeval's but its errors.

Requests and completions, check results, a run and its outputs, examples and datasets,
grades and judge calls, load requests and levels: dataclasses, never ORM rows.
"""
