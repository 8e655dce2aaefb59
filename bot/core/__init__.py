"""The channel-neutral runtime: events in, replies out, and everything between."""
