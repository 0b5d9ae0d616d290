"""Networks: the feed-forward ReLU MLP of eqs. (1)-(2), stacked over a grid of models."""
