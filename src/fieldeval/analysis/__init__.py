"""Turning stored outputs into numbers with their uncertainty."""
