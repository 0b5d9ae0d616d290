"""Adversarial attacks on stacked models: PGD (Madry et al. 2018) and FGSM (Goodfellow et al. 2015)."""
