"""The lesson models: text preprocessing as modules (``text``), the LSTM and seq2seq models (``models``), the
Transformer written out (``transformer``), and an LSTM's gates recomputed from its weights (``gates``)."""
