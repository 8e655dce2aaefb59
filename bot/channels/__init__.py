"""Channel adapters: platform input in as our events, our replies out as platform calls."""
