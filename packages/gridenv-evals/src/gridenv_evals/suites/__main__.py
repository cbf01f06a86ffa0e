"""``python -m gridenv_evals.suites``: pin the digests of new suite versions (never rewrites published ones)."""

from gridenv_evals.suites import pin_new_suites

added = pin_new_suites()
print(f"pinned {', '.join(added)}" if added else "every registered suite is already pinned")
