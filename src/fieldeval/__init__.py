"""fieldeval: evaluate LLMs and LLM apps on your own use case."""

__version__ = "0.1.0"
