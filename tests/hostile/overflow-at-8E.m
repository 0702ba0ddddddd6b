zero len=1 at=8E
