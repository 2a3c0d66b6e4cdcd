"""Vector memory: embedding models, embedding jobs, vector stores, search (DESIGN.md §1, §3)."""
