"""Loss components of Table 1: nominal cross-entropy, robust (Section 3.2), stable (Section 3.4)."""
