"""What runs leave and how they are read: the row store and leaderboard CSVs (leaderboard), sample
pictures, ranking, `compare` and the report. Never trains or scores anything itself."""
