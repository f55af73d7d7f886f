"""The campaign's operations: teams, plans, results entry, follow-up, 三个一批, places/people lists, bulletin."""
