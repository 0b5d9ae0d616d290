"""Training: the eight methods of Table 1 and the grid trainer."""
