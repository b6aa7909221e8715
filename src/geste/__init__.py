"""geste: software for an image-guided spine and joint procedure centre."""
