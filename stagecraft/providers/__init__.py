"""Provider interfaces, one module per kind of provider (today: secrets)."""
