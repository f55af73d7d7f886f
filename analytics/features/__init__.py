"""Point-in-time feature families and their registry."""
