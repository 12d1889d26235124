"""The host: the code that runs vocoder plugins, which no plugin imports.

Finding plugins and calling them in isolation (`registry`), building a named one's
vocoder (`loading`), holding every render to the output contract with fallback
(`checked`), choosing one for a model (`selector`, `survey`), installing them
(`installer`), and a model's own vocoder: its recordings and the held-out split
(`recordings`), its training (`vocoder_runs`, `vocoder_training`) and its verdict
(`evaluation`). It sits above `training` and below `inference`; see docs/architecture.md.
"""
