"""Stagecraft envfile provider (placeholder until its issue lands)."""
