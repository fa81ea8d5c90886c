"""What a user would run instead of site.yml; the benchmarks time these side by side with it."""
