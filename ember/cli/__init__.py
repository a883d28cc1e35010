"""Level 7: the `ember` command."""
from ember.cli.main import main
