"""Edge cases: variants of the team's own examples, each with the behaviour it expects."""
