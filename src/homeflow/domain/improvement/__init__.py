"""The improvement programme: frameworks, self-assessments, and the rules that read them."""
