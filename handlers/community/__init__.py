"""Community needs: what members ask and write about, counted by smart-city domain and month.

No chat routes: depa reads it on the dashboard (`service.py` computes it from stored texts).
"""
