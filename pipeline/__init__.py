"""Pipeline Trace: see how a neural network turns data into a prediction."""
