"""Channels: thin adapters between a platform and the conversation core."""
