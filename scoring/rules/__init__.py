"""The arithmetic of the index, pure: no Django import, tested without a database.

engine (exact scoring in fractions), exact (the same scoring compiled to integers, which
the stored results use), uncertainty (the bootstrap's compiled plan and intervals),
weighting (raking and its bounds), quality (data-quality rules), sensitivity (weight
sensitivity), index_audit (the composite-index checks) and vocabulary (kinds, levels,
methods, rules and their one table of names).
"""
