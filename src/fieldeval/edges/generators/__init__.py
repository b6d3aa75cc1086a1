"""The edge generators, grouped by kind; `fieldeval.edges.registry` lists them by name.

Every generator is an `EdgeGenerator` (see `base`): it turns one real example into variants,
each carrying the behaviour a good reply shows and the oracle data its graders need. They
only build strings: dataset text is never evaluated, formatted as a template or executed.
"""
