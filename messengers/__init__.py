"""Messenger adapters beside Telegram (Telegram itself is aiogram's home ground)."""
