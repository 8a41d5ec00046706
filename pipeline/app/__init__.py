"""What the app's pages compute, without Streamlit: the stepper, the view a link restores, the Overview's kept
numbers, Compare lessons, and the quiz's questions."""
