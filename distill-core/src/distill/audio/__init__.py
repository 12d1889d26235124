"""Audio in and out: file I/O, the core mel spectrogram, resampling, spatial rendering, export."""
