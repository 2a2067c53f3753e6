"""The composition root: the `taskforce-intake` command reads the settings and the clock at the edge,
opens the runtime (bot/runtime.py) and wires the service (bot/) and the web app (triage/) together.
Nothing below imports this package; bot/ never imports triage/."""
