from config.settings import Environment, Settings, UnsafeSettingsError, load_settings

__all__ = ["Environment", "Settings", "UnsafeSettingsError", "load_settings"]
