"""A local Zalo Bot Platform Bot API (``/bot<TOKEN>/<method>``) with a control API, for tests and the demo."""
