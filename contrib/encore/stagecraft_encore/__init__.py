"""Stagecraft encore provider (placeholder until its issue lands)."""
