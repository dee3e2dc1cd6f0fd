"""Write services of the scoring app, one module per concern."""
