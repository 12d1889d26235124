"""Training the VAE: the loop, presets and a runner with progress, cancel and resume."""
