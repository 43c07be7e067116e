"""Editors' reports: what is missing, what the matcher confuses, what users ask unanswered."""
