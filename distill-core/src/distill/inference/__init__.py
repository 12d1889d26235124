"""Generation: latents to mel to sound, chunked for any duration, blending between models."""
