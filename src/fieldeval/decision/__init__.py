"""The decision: which candidate to ship, with its evidence and caveats.

Quality, failures, latency under load and cost, read from the store in one place.
"""
