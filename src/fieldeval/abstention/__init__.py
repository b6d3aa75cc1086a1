"""Abstention: every output read as answered, abstained or broke the format, and what a
candidate's answers are worth once its "I don't know"s are set apart."""
