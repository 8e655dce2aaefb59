"""Delivery: outbox workers that send stored messages through the channel adapters."""
