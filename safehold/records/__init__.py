"""What an incident leaves behind: its timeline, its evidence and its dossier."""
