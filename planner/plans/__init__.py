"""Conclusions and trace -> the plan model, its explanations, audit and progress."""
