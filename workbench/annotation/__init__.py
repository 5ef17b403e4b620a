"""Annotation work: the queue of conversations, the items each is asked, drafts and submissions,
blind A/B comparisons and agreement reports. Pure library code; the pages render it."""
