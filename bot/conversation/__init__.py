"""The conversation: messages, sessions, the engine and its replies."""
