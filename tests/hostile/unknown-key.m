zero len=1 lenn=2
