file ""
