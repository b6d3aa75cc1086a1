"""The LLM judge: its prompts and client, grading a run on the rubric, its calibration.

Calibration measures how far the judge can stand in for people, against their grades.
"""
