"""Data files that ship with rnnkit; SOURCES.md says where each one comes from."""
