zero len=1T
