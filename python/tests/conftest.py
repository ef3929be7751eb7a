import os

# Dates the writers put in files come from here, not the clock.
os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")
