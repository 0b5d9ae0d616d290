"""Analyses of Section 4 on top of the aggregated results: difficulty groups,
figures, SHAP values of the loss components, prescriptive policy trees, fidelity."""
