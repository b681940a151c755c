"""Dashboard pages: each module exposes ``layout(ctx)`` and ``register(app, ctx)``."""
