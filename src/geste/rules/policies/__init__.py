"""Crisis policies shipped with geste, as JSON data (a package, so wheels include them)."""
