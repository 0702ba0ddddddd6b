zero len=1KB
