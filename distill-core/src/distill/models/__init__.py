"""The VAE, its losses and the `.distill` model file."""
