"""Section 4.5 of the paper: prescriptive policy trees that recommend a training method.

``tree`` is the exact optimal policy tree search (exhaustive, as R's ``policytree``)
and its brute-force reference; ``greedy`` fits econml's greedy ``PolicyTree`` on the
same data for comparison; ``prescribe`` builds the data (features of each data set,
improvements of each method over DL), chooses depth and leaf size by cross-validation
over data sets and evaluates the trees on held-out data sets (Table 6); ``plot`` draws
a tree like Figures 4-5.
"""
