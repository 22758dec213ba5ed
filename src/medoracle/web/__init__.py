"""The web app: `medoracle.web.app.create_app(settings=None, store=None)`."""
