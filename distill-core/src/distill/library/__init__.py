"""The user's library: model catalog, slider presets, generation history."""
