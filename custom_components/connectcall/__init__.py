"""The Connect Call integration."""
