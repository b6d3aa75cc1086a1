"""From production traffic to an eval set and back: samples that keep their probabilities,
estimates of production quality weighted from them."""
