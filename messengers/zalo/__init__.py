"""Zalo Bot Platform: the same dispatcher and handlers as Telegram, through a translating session."""
