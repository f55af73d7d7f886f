"""What the pages and notebooks read: overview, enterprise profile, risk-list browsing, model cards, what-if."""
