zero len=1 =4
