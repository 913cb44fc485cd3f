"""The web app: pages and APIs over the store's read models."""
