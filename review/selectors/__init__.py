"""Every read of the review site: querysets shaped for their page or endpoint, with a fixed number of queries."""
