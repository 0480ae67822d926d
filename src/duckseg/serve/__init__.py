"""The read-only HTTP API over a workspace (docs/memberships.md)."""
