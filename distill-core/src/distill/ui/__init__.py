"""The Gradio app behind `distill ui`: one module per tab, each calling the engine.

Nothing here decides anything about sound: a tab gathers what the user set, calls the
engine (`distill.training`, `distill.inference`, `distill.host`, `distill.library`,
`distill.data`) and shows what comes back. Gradio is imported only by this package.
"""

import os

# Gradio reports usage to its makers unless told not to; a local instrument has no business doing that.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
