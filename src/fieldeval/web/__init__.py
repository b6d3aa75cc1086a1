"""The local web app: human grading now, the results browser later."""
