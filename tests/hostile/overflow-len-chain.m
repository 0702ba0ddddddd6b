zero len=7E
zero len=1E
