"""SafeRank analytics: the contract, the store, features, models, lists and plans.

Never imports ``dashboard``.
"""

__version__ = "0.1.0"
