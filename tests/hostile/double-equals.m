zero len==4
