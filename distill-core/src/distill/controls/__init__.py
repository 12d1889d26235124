"""Latent analysis that turns a trained VAE into musical sliders."""
