"""Economics: what a run cost, a month at the suite's volume, quality against cost.

Also the dry run's estimate, and public leaderboards set beside the team's own ranking.
"""
