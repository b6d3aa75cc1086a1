"""Latency under load: many users at once against one candidate, measured from raw records."""
