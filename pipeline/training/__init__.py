"""Training: bounded settings (``settings``), the loop and its callbacks (``loop``), what a curve shows
(``observations``), live progress for a page (``live``), a learner's last runs (``history``)."""
