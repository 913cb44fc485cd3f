from homeflow.cli import app

app()
