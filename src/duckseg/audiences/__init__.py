"""Campaign audiences: segments minus exclusions at send time, split into arms and agents,
exported as sends and measured against a holdout (docs/audiences.md)."""
