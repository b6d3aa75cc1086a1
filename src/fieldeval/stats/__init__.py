"""Pure statistics: intervals, paired tests, power, significance, preferences, agreement.

Numbers in, numbers out: nothing here reads a store or a suite.
"""
