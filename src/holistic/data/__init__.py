"""Data sets: registry (metadata + checksums), fetching, splits and preprocessing."""
