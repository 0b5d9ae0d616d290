"""Sparsity: continuous sparsification (Savarese et al. 2020), Section 3.3 of the HDL paper."""
