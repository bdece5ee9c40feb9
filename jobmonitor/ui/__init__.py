"""Qt widgets: windows, table models, dialogs, tray. No httpx, no keyring (go through core)."""
